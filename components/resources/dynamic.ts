/**
 * The base of the stack's dynamic resources. Pulumi's own dynamic.Resource serializes the provider
 * object with everything it reaches (the whole engine, tens of kilobytes) into every resource's
 * state, loading the TypeScript compiler to do it on every run. Here the serialized provider is one
 * line that loads the provider from the project's compiled code when the provider process runs it.
 *
 * The line names scripts/compiled.js, which only hands on to runtime/compiled.js: the text is an
 * input of every resource, so a new path would show every dynamic resource as changed.
 *
 * That line runs in Pulumi's dynamic provider process (cwd: the project directory), for resources
 * created by this code. State written before it still carries the serialized engine of its day:
 * Pulumi uses that for refresh and delete, and the new line for diff and update.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

/**
 * Where this code runs from as an installed package (npm pack builds it into dist/: <package>/dist/components/resources
 * here); undefined when it runs inside this project (ts-node, or the program's own build in .build/).
 */
function installedPackage(): string | undefined {
    const root = path.resolve(__dirname, "..", "..", "..");
    if (path.basename(path.resolve(__dirname, "..", "..")) !== "dist" || !fs.existsSync(path.join(root, "package.json"))) return undefined;
    return JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).name;
}
const PACKAGE = installedPackage();

/** The provider's module source: a handler that loads `exportName` of `modulePath` (from the project root, no extension). */
export function providerSource(modulePath: string, exportName: string): string {
    if (PACKAGE !== undefined) {
        // In a program that installed the package: the provider process runs in the program's directory,
        // where Node finds the package as the program did. A name, not a path, so state moves between machines.
        return [
            `exports.handler = () => {`,
            `    const where = require.resolve(${JSON.stringify(`${PACKAGE}/dist/${modulePath}`)}, { paths: [process.cwd()] });`,
            `    return require(where)[${JSON.stringify(exportName)}];`,
            `};`,
            ``,
        ].join("\n");
    }
    return [
        `exports.handler = () => {`,
        `    const path = require("path");`,
        // The project root: the provider process runs there; else the one whose node_modules holds @pulumi/pulumi.
        `    const fs = require("fs");`,
        `    const root = fs.existsSync(path.join(process.cwd(), "scripts", "compiled.js")) ? process.cwd() : path.resolve(require.resolve("@pulumi/pulumi/package.json"), "../../../..");`,
        `    return require(path.join(root, "scripts", "compiled.js")).load(${JSON.stringify(modulePath)})[${JSON.stringify(exportName)}];`,
        `};`,
        ``,
    ].join("\n");
}

export abstract class LoadedDynamicResource extends pulumi.CustomResource {
    /** `type`: the resource type in this project's dynamic module, e.g. "RolloutGate". */
    protected constructor(type: string, provider: { module: string; export: string }, name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
        // Deleting one has nothing to do (the cluster dies with its containers): Pulumi then drops it from
        // the state without calling its provider, so a destroy neither loads the engine nor waits for it.
        super(`pulumi-nodejs:dynamic/redis-cluster:${type}`, name, { ...props, __provider: providerSource(provider.module, provider.export) }, { ...opts, retainOnDelete: true });
    }
}
