// Command pulumi-tfgen-docker generates the Pulumi package schema
// (schema.json) and bridge-metadata.json for the docker provider:
//
//	pulumi-tfgen-docker schema --out DIR
//
// build.sh runs it and embeds its output into pulumi-resource-docker.
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"

	"redis-cluster/tools/docker-provider/provider"
)

func main() {
	// Generation starts from empty bridge metadata, so the output depends
	// only on the upstream schema and provider/resources.go.
	tfgen.Main("docker", provider.Version, provider.Provider([]byte("{}")))
}
