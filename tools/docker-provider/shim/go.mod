// Tiny bridge module: its import path lies under the upstream provider's
// module path, so Go's internal-package rule lets it import
// github.com/terraform-providers/terraform-provider-docker/internal/provider.
// The parent module (../go.mod) wires it in with a directory replace.
module github.com/terraform-providers/terraform-provider-docker/shim

go 1.25.11

require (
	github.com/hashicorp/terraform-plugin-sdk/v2 v2.40.1
	github.com/terraform-providers/terraform-provider-docker v0.0.0-20260916201441-96d331c98ff4
)
