// Command pulumi-resource-docker is the Pulumi resource plugin for the
// "docker" package, bridging the upstream Docker Terraform provider.
//
// It embeds files produced by pulumi-tfgen-docker. They are not kept in the
// source tree: build.sh generates them and maps them in with `go build
// -overlay`, so build this command through build.sh.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"

	"redis-cluster/tools/docker-provider/provider"
)

//go:embed generated/schema.json
var pulumiSchema []byte

//go:embed generated/bridge-metadata.json
var bridgeMetadata []byte

func main() {
	tfbridge.Main("docker", provider.Version, provider.Provider(bridgeMetadata), pulumiSchema)
}
