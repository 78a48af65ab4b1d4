// Defers two modules @pulumi/pulumi loads on every start but uses only to serialize closures (for
// dynamic providers whose code goes into the state, and for cloud functions), which this project
// never does (components/resources/dynamic.ts): the TypeScript compiler and npm's Arborist. Loading
// them took about 0.7 s of CPU in each Node process of every Pulumi command (the program, and the
// dynamic providers' host), most of a no-op preview's Node time. They still load, in full, the
// moment anything uses them.
//
// Loaded first by program.js and, through runtime/pulumi-resource-pulumi-nodejs, by the dynamic
// providers' host. Plain JavaScript: it runs before anything is compiled.
"use strict";
const Module = require("module");
const path = require("path");

const PULUMI_SDK = `${path.sep}node_modules${path.sep}@pulumi${path.sep}pulumi${path.sep}`;

/** Stands in for a module object: the real module is loaded at the first look inside it. */
function deferred(load) {
    let real;
    const target = () => (real === undefined ? (real = load()) : real);
    return new Proxy(
        {},
        {
            get: (_, key) => target()[key],
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
        if (standIn !== undefined && parent && typeof parent.filename === "string" && parent.filename.includes(PULUMI_SDK) && resolvable(request, parent)) {
            return standIn(() => originalLoad.call(this, request, parent, isMain));
        }
        return originalLoad.apply(this, arguments);
    };
    hooked.deferringPulumiClosureModules = true;
    Module._load = hooked;
}
