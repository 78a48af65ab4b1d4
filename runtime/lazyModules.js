// Defers modules @pulumi/pulumi loads on every start but uses only for what this project never does
// in a Pulumi run: the TypeScript compiler and npm's Arborist serialize closures (for dynamic
// providers whose code goes into the state, and for cloud functions; components/resources/dynamic.ts),
// the Automation API drives the CLI from a program of its own (the tests do, requiring it by its
// own path), and OpenTelemetry's tracer, exporter and instrumentation serve `pulumi --tracing` only.
// Loading them took about 1 s of CPU in each Node process of every Pulumi command (the program, and
// the dynamic providers' host), most of a no-op preview's Node time. They still load, in full, the
// moment anything uses them.
//
// Loaded before Pulumi's program runner (Pulumi.yaml's nodeargs; program.js again, for a host that
// ignores them) and, through runtime/pulumi-resource-pulumi-nodejs, by the dynamic providers' host.
// Plain JavaScript: it runs before anything is compiled.
"use strict";
const Module = require("module");
const path = require("path");

const PULUMI_SDK = `${path.sep}node_modules${path.sep}@pulumi${path.sep}pulumi${path.sep}`;

/**
 * Stands in for a module object: the real module is loaded at the first look inside it. `esModule`:
 * answers TypeScript's `__importStar` check (`mod.__esModule`) without loading, so that the module
 * itself, not a copy of its exports, is kept.
 */
function deferred(load, esModule = false) {
    let real;
    const target = () => (real === undefined ? (real = load()) : real);
    return new Proxy(
        {},
        {
            get: (_, key) => (esModule && key === "__esModule" && real === undefined ? true : target()[key]),
            has: (_, key) => key in target(),
            ownKeys: () => Reflect.ownKeys(target()),
            getOwnPropertyDescriptor: (_, key) => {
                const d = Object.getOwnPropertyDescriptor(target(), key);
                // A proxy may not report a property its target lacks as non-configurable.
                return d === undefined ? undefined : { ...d, configurable: true };
            },
        },
    );
}

const originalLoad = Module._load;
const standIns = {
    // typescript-shim.js: `module.exports = require("typescript")`, used only inside functions.
    typescript: (load) => deferred(load),
    // index.js: `exports.automation = __importStar(require("./automation"))` (a relative request:
    // deferred only when the SDK's index.js makes it, see below).
    "./automation": (load) => deferred(load, true),
    // cmd/run/tracing.js requires these at its top but uses them only in start(), when tracing is on
    // (the API itself, which every span goes through, loads as before).
    ...Object.fromEntries(
        [
            "@opentelemetry/resources",
            "@opentelemetry/sdk-trace-base",
            "@opentelemetry/exporter-zipkin",
            "@opentelemetry/instrumentation-grpc",
            "@opentelemetry/sdk-trace-node",
            "@opentelemetry/instrumentation",
        ].map((name) => [name, (load) => deferred(load)]),
    ),
    // codePaths.js: `__importStar(require("@npmcli/arborist"))` copies the exports' values at once;
    // only `new arborist.Arborist(...)` is used, when code paths are computed.
    "@npmcli/arborist": (load) => ({
        Arborist: function Arborist(...args) {
            return new (load().Arborist)(...args);
        },
    }),
};

function resolvable(request, parent) {
    try {
        Module._resolveFilename(request, parent);
        return true;
    } catch {
        return false;
    }
}

if (!Module._load.deferringPulumiClosureModules) {
    const hooked = function (request, parent, isMain) {
        const standIn = standIns[request];
        // Only for the SDK's own requires, and only for a module that is there: where it is missing,
        // the SDK's fallback (a vendored TypeScript) must see the failure now, as it expects.
        const from = parent && typeof parent.filename === "string" ? parent.filename : "";
        const sdkRequire = request.startsWith(".") ? from.endsWith(`${PULUMI_SDK}index.js`) : from.includes(PULUMI_SDK);
        if (standIn !== undefined && sdkRequire && resolvable(request, parent)) {
            return standIn(() => originalLoad.call(this, request, parent, isMain));
        }
        return originalLoad.apply(this, arguments);
    };
    hooked.deferringPulumiClosureModules = true;
    Module._load = hooked;
}
