// Command pulumi-tfgen-docker generates the Pulumi package schema
// (schema.json, with the provider version filled in) and
// bridge-metadata.json for the docker provider:
//
//	pulumi-tfgen-docker schema --out DIR --skip-examples
//
// build.sh runs it and embeds its output into pulumi-resource-docker.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"
	pschema "github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/spf13/afero"

	"redis-cluster/tools/docker-provider/provider"
)

func main() {
	// Generation starts from empty bridge metadata, so the output depends
	// only on the upstream schema and provider/resources.go.
	info := provider.Provider([]byte("{}"))
	if err := info.P.InternalValidate(); err != nil {
		fmt.Fprintf(os.Stderr, "The upstream provider failed internal validation: %v\n", err)
		os.Exit(1)
	}
	tfgen.MainWithCustomGenerate("docker", provider.Version, info, generate)
}

func generate(opts tfgen.GeneratorOptions) error {
	if opts.Root == nil {
		return errors.New("pass --out DIR to choose the output directory")
	}
	g, err := tfgen.NewGenerator(opts)
	if err != nil {
		return err
	}
	if _, err := g.Generate(context.Background()); err != nil {
		return err
	}
	if opts.Language != tfgen.Schema {
		return nil
	}
	return setSchemaVersion(opts.Root, "schema.json", opts.Version)
}

// setSchemaVersion writes version into the generated schema. tfgen leaves
// the version out of schema.json, but the plugin serves this file from
// GetSchema, where the engine expects the package version.
func setSchemaVersion(root afero.Fs, name, version string) error {
	data, err := afero.ReadFile(root, name)
	if err != nil {
		return err
	}
	var spec pschema.PackageSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		return fmt.Errorf("reading the generated %s: %w", name, err)
	}
	spec.Version = version
	out, err := json.MarshalIndent(spec, "", "    ")
	if err != nil {
		return err
	}
	return afero.WriteFile(root, name, out, 0o644)
}
