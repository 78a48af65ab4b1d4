// Package provider maps the upstream Docker Terraform provider (SDKv2 half)
// onto the Pulumi package "docker", shaped to match the @pulumi/docker 5.0.0
// SDKs (resource tokens, property names and collection shapes).
package provider

import (
	"bytes"
	"context"
	"os"
	"runtime"

	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/terraform-providers/terraform-provider-docker/shim"
)

// Version is the provider version reported to the Pulumi engine and written
// into the generated schema. build.sh stamps it with
// -ldflags "-X <module>/provider.Version=<version>".
var Version = "0.0.0-dev"

const (
	pkgName = "docker"
	modName = "index"

	// UpstreamDirEnv names the directory holding the upstream provider's
	// source (with its docs/ folder); tfgen reads resource docs from there.
	UpstreamDirEnv = "DOCKER_PROVIDER_UPSTREAM_DIR"
)

func defaultHost() string {
	if runtime.GOOS == "windows" {
		return "npipe:////./pipe/docker_engine"
	}
	return "unix:///var/run/docker.sock"
}

// notMaxItemsOne keeps a TF block with MaxItems: 1 as a list in Pulumi, the
// shape @pulumi/docker 5.0.0 exposes for it.
func notMaxItemsOne(name string) *tfbridge.SchemaInfo {
	return &tfbridge.SchemaInfo{Name: name, MaxItemsOne: tfbridge.False()}
}

const serviceGlobalDescription = "When `true`, tasks will run on every worker node. Conflicts with `replicated`"

// upstreamProvider builds the SDKv2 provider and applies schema tweaks that
// make it match the provider shipped in @pulumi/docker 5.0.0.
func upstreamProvider() *schema.Provider {
	p := shim.NewProvider()

	// As in 5.0.0, docker_service.mode.global has no default: the bridge
	// writes TF defaults into the inputs, and an explicit global=false then
	// trips its ConflictsWith on mode.replicated and converge_config.
	if svc, ok := p.ResourcesMap["docker_service"]; ok {
		if mode, ok := svc.Schema["mode"]; ok {
			if elem, ok := mode.Elem.(*schema.Resource); ok {
				if global, ok := elem.Schema["global"]; ok {
					global.Default = nil
					global.Description = serviceGlobalDescription
				}
			}
		}
	}
	return p
}

// docEdits keeps the generated docs in line with upstreamProvider's tweaks.
func docEdits(defaults []tfbridge.DocsEdit) []tfbridge.DocsEdit {
	return append(defaults, tfbridge.DocsEdit{
		Path: "service.md",
		Edit: func(_ string, content []byte) ([]byte, error) {
			return bytes.ReplaceAll(content,
				[]byte("- `global` (Boolean) The global service mode. Defaults to `false`"),
				[]byte("- `global` (Boolean) "+serviceGlobalDescription)), nil
		},
	})
}

// Provider returns the bridge configuration. metadata is the content of the
// bridge-metadata.json written by tfgen (use "{}" when generating).
func Provider(metadata []byte) tfbridge.ProviderInfo {
	prov := tfbridge.ProviderInfo{
		P:                shimv2.NewProvider(upstreamProvider()),
		Name:             pkgName,
		Version:          Version,
		DisplayName:      "Docker",
		Description:      "A Pulumi package for interacting with Docker in Pulumi programs",
		Keywords:         []string{"pulumi", "docker"},
		License:          "Apache-2.0",
		Homepage:         "https://pulumi.io",
		Repository:       "https://github.com/pulumi/pulumi-docker",
		GitHubOrg:        "kreuzwerker",
		UpstreamRepoPath: os.Getenv(UpstreamDirEnv),
		DocRules:         &tfbridge.DocRuleInfo{EditRules: docEdits},
		MetadataInfo:     tfbridge.NewProviderMetadata(metadata),

		Config: map[string]*tfbridge.SchemaInfo{
			"host": {
				Default: &tfbridge.DefaultInfo{
					EnvVars: []string{"DOCKER_HOST"},
					ComputeDefault: func(context.Context, tfbridge.ComputeDefaultOptions) (interface{}, error) {
						return defaultHost(), nil
					},
				},
			},
			// A list of registries, but named in the singular in 5.0.0.
			"registry_auth": notMaxItemsOne("registryAuth"),
		},

		Resources: map[string]*tfbridge.ResourceInfo{
			"docker_container": {
				Tok:                 tfbridge.MakeResource(pkgName, modName, "Container"),
				DeleteBeforeReplace: true,
				Fields: map[string]*tfbridge.SchemaInfo{
					// One command line, not a list of commands: keep the name singular.
					"command": {Name: "command"},
					// Already plural in meaning; the default rule would make it
					// "networksAdvanceds".
					"networks_advanced": {Name: "networksAdvanced"},
				},
			},
			// docker_image pulls an image from a registry: RemoteImage in Pulumi
			// (docker:index/image:Image is pulumi-docker's own native resource).
			// "name" is the image reference, not a Pulumi auto-name.
			"docker_image": {
				Tok:    tfbridge.MakeResource(pkgName, modName, "RemoteImage"),
				Fields: map[string]*tfbridge.SchemaInfo{"name": {Name: "name"}},
			},
			// "Config" would clash with the provider configuration type.
			"docker_config": {Tok: tfbridge.MakeResource(pkgName, modName, "ServiceConfig")},
		},

		DataSources: map[string]*tfbridge.DataSourceInfo{
			"docker_image": {Tok: tfbridge.MakeDataSource(pkgName, modName, "getRemoteImage")},
		},
	}

	// Every other docker_* resource/data source: docker_foo_bar becomes
	// docker:index/fooBar:FooBar (data sources: docker:index/getFooBar:getFooBar).
	prov.MustComputeTokens(tokens.SingleModule("docker_", modName, tokens.MakeStandard(pkgName)))
	prov.MustApplyAutoAliases()
	// Resources with a "name" input (Container, Network, Volume, ...) get a
	// Pulumi auto-name when none is given, as in 5.0.0.
	prov.SetAutonaming(255, "-")
	return prov
}
