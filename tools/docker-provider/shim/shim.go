// Package shim exposes the SDKv2 half of the upstream Docker Terraform
// provider, which otherwise lives in an internal package.
package shim

import (
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
	"github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

// NewProvider returns a fresh instance of the upstream SDKv2 provider.
// Only the SDKv2 resources and data sources are exposed; the upstream's
// terraform-plugin-framework half (compose, actions, ...) is not used.
func NewProvider() *schema.Provider {
	return provider.New("dev")()
}
