import { strict as assert } from "assert";
import fc from "fast-check";
import { DEFAULT_MAXMEMORY_PERCENT, MAXMEMORY_POLICIES, MIN_MEMORY_BYTES, RUNTIME_DEFAULTS, formatSize, neighbourTableWarning, parseSize, resolveLimits, runtimeDirectives } from "../../components/planning/limits";
import { runtimeChanges, runtimeTarget } from "../../components/engine/steps/runtimeConfig";
import { overLimit } from "../../components/engine/memoryFit";
import { resolveSettings } from "../../components/planning/settings";

const key = (name: string) => `redis-cluster:${name}`;
const MiB = 1024 ** 2;
const UNITS = { k: 1024, kb: 1024, m: MiB, mb: MiB, g: 1024 ** 3, gb: 1024 ** 3 } as const;

describe("node limits", () => {
    it("reads sizes in binary units as Docker does, upper or lower case, and refuses what is not a size", () => {
        fc.assert(
            fc.property(fc.integer({ min: 0, max: 4096 }), fc.constantFrom(...(Object.keys(UNITS) as (keyof typeof UNITS)[])), fc.boolean(), (n, unit, upper) => {
                assert.equal(parseSize(`${n}${upper ? unit.toUpperCase() : unit}`), n * UNITS[unit]);
            }),
        );
        assert.equal(parseSize("1.5g"), 1.5 * 1024 ** 3);
        assert.equal(parseSize("123"), 123);
        for (const bad of ["", "m", "12x", "-1m", "1 2m", "lots"]) assert.equal(parseSize(bad), undefined, bad);
        assert.equal(formatSize(512 * MiB), "512m");
        assert.equal(formatSize(2 * 1024 ** 3), "2g");
    });

    it("sets maxmemory to 75% of memory unless given, always below memory, and sets nothing without either (property)", () => {
        fc.assert(
            fc.property(fc.integer({ min: MIN_MEMORY_BYTES / MiB, max: 256 * 1024 }), fc.option(fc.integer({ min: 1, max: 99 }), { nil: undefined }), (mib, percent) => {
                const { limits, problems } = resolveLimits({ memory: `${mib}m`, ...(percent === undefined ? {} : { maxmemory: `${percent}%` }) }, key);
                const share = percent ?? DEFAULT_MAXMEMORY_PERCENT;
                const expected = Math.floor((mib * MiB * share) / 100);
                if (expected < MiB) {
                    assert.match(problems.join("\n"), /maxmemory .* is below 1m/);
                    return;
                }
                assert.deepEqual(problems, []);
                assert.equal(limits.memoryBytes, mib * MiB);
                assert.equal(limits.maxmemoryBytes, expected);
                assert.ok(limits.maxmemoryBytes! < limits.memoryBytes!);
                assert.deepEqual(runtimeDirectives(limits), { maxmemory: String(expected) });
            }),
        );
        const none = resolveLimits({}, key);
        assert.deepEqual(none, { limits: { memoryBytes: undefined, cpus: undefined, maxmemoryBytes: undefined, maxmemoryPolicy: "noeviction" }, problems: [], warnings: [] });
        assert.deepEqual(runtimeDirectives(none.limits), {});
    });

    it("refuses a maxmemory at or above memory, by size or share, naming both (property)", () => {
        fc.assert(
            fc.property(fc.integer({ min: 32, max: 8192 }), fc.integer({ min: 0, max: 4096 }), (mib, extra) => {
                const { problems } = resolveLimits({ memory: `${mib}m`, maxmemory: `${mib + extra}mb` }, key);
                assert.equal(problems.length, 1, problems.join("\n"));
                assert.match(problems[0], new RegExp(`redis-cluster:maxmemory ${formatSize((mib + extra) * MiB)} is not below redis-cluster:memory ${formatSize(mib * MiB)}`));
            }),
        );
        assert.match(resolveLimits({ memory: "512m", maxmemory: "100%" }, key).problems.join(), /must be above 0% and below 100%/);
    });

    const refused: [string, Parameters<typeof resolveLimits>[0], RegExp, number?][] = [
        ["a percentage without memory", { maxmemory: "75%" }, /redis-cluster:maxmemory 75% is a share of redis-cluster:memory, which is not set/],
        ["an unknown policy", { maxmemoryPolicy: "lru" }, /redis-cluster:maxmemoryPolicy "lru" is not one of Redis's eviction policies: noeviction, allkeys-lru/],
        ["memory that is not a size", { memory: "lots" }, /redis-cluster:memory "lots" is not a size/],
        ["memory in parts of a megabyte", { memory: "100000k" }, /not a whole number of megabytes .* use e\.g\. 98m/],
        ["memory too small for Redis", { memory: "16m" }, /redis-cluster:memory 16m is below 32m/],
        ["maxmemory that is not a size", { maxmemory: "big" }, /redis-cluster:maxmemory "big" is neither a size/],
        ["cpus that are not a number", { cpus: "two" }, /redis-cluster:cpus "two" is not a CPU count/],
        ["cpus of zero", { cpus: "0" }, /redis-cluster:cpus "0" is not a CPU count/],
        ["more cpus than the machine has", { cpus: "3" }, /redis-cluster:cpus 3 is more than the 2 CPUs/, 2],
        ["cpus Docker's provider reads back otherwise", { cpus: "0.05" }, /redis-cluster:cpus 0\.05 would be read back from Docker as 0\.1, so every preview would show a change/],
    ];
    for (const [what, raw, message, hostCpus] of refused) {
        it(`refuses ${what}`, () => {
            assert.match(resolveLimits(raw, key, hostCpus).problems.join("\n"), message);
        });
    }

    it("declares cpus as the docker provider reads them back, so a refresh sees no change (property)", () => {
        assert.deepEqual(["1", "1.5", "0.5", "0.25", "10", "2.05", "64"].map((c) => resolveLimits({ cpus: c }, key).limits.cpus), ["1.0", "1.5", "0.5", "0.25", "10.", "2.05", "64.0"]);
        fc.assert(
            fc.property(fc.integer({ min: 1, max: 12800 }), (hundredths) => {
                const { limits, problems } = resolveLimits({ cpus: String(hundredths / 100) }, key);
                // Accepted exactly when the provider's reading gives the same number back.
                if (problems.length === 0) assert.equal(Number(limits.cpus), hundredths / 100);
                else assert.match(problems[0], /would be read back from Docker as/);
            }),
        );
    });

    it("takes every policy Redis has, in any case; only one other than noeviction is set at run time", () => {
        for (const policy of MAXMEMORY_POLICIES) {
            const { limits, problems } = resolveLimits({ maxmemory: "100mb", maxmemoryPolicy: policy.toUpperCase() }, key);
            assert.deepEqual(problems, []);
            assert.deepEqual(runtimeDirectives(limits), { maxmemory: String(100 * MiB), ...(policy === "noeviction" ? {} : { "maxmemory-policy": policy }) });
        }
    });

    it("reaches the settings: every problem of the limits is reported with the others", () => {
        const { problems, settings } = resolveSettings({ memory: "512m", maxmemory: "1g", maxmemoryPolicy: "nope", shards: "2" }, "redis:7.2");
        assert.equal(problems.length, 3, problems.join("\n"));
        assert.equal(settings.limits.memoryBytes, 512 * MiB);
        assert.equal(resolveSettings({ cpus: "1.5" }, "redis:7.2", { cpus: 2 }).settings.limits.cpus, "1.5");
        // Where the program does not know the engine's machine (hosts, DOCKER_HOST), Docker judges cpus itself.
        assert.deepEqual(resolveSettings({ cpus: "64" }, "redis:7.2").problems, []);
        assert.match(resolveSettings({ cpus: "64" }, "redis:7.2", { cpus: 2 }).problems.join(), /more than the 2 CPUs/);
    });
});

describe("run-time directives on a node", () => {
    const directive = fc.constantFrom("maxmemory", "maxmemory-policy");
    const value = fc.constantFrom("0", "1048576", "noeviction", "allkeys-lru");
    const config = fc.dictionary(directive, value);

    it("sets exactly what differs, and every managed directive not wanted back to Redis's default (property)", () => {
        fc.assert(
            fc.property(config, config, (current, wanted) => {
                const changes = runtimeChanges(current, wanted);
                const after = { ...current, ...changes };
                for (const [k, v] of Object.entries(wanted)) assert.equal(after[k], v);
                for (const k of Object.keys(RUNTIME_DEFAULTS)) if (!(k in wanted)) assert.equal(after[k], RUNTIME_DEFAULTS[k]);
                for (const [k, v] of Object.entries(changes)) assert.notEqual(current[k], v, `${k} already ${v}`);
            }),
        );
    });

    it("puts a user directive the stack stops setting back to what the nodes had before it first set it, across runs (property)", async () => {
        const name = fc.constantFrom("hz", "timeout", "maxmemory-samples", "maxmemory", "maxmemory-policy");
        const wantedMap = fc.dictionary(name, fc.constantFrom("7", "20", "allkeys-lru"));
        await fc.assert(
            // Redis has a value for every directive it knows (unknown ones are refused before this).
            fc.asyncProperty(fc.array(wantedMap, { minLength: 1, maxLength: 5 }), fc.record({ hz: fc.constantFrom("10", "5"), timeout: fc.constantFrom("0", "5"), "maxmemory-samples": fc.constantFrom("5", "10"), maxmemory: fc.constant("0"), "maxmemory-policy": fc.constant("noeviction") }), async (runs, defaults: Record<string, string>) => {
                // A node that starts at `defaults` (Redis's own values) and takes each run's target.
                const node: Record<string, string> = { ...defaults };
                let baseline: Record<string, string> = {};
                for (const wanted of runs) {
                    const next = await runtimeTarget(wanted, baseline, async (d) => node[d]);
                    for (const [k, v] of Object.entries(wanted)) assert.equal(next.target[k], v);
                    Object.assign(node, next.target);
                    baseline = next.baseline;
                    assert.deepEqual(Object.keys(baseline).sort(), Object.keys(wanted).filter((k) => k in defaults && !(k in RUNTIME_DEFAULTS)).sort());
                }
                // Nothing wanted any more: every user directive is back where it started.
                const last = await runtimeTarget({}, baseline, async (d) => node[d]);
                Object.assign(node, last.target);
                assert.deepEqual(last.baseline, {});
                for (const k of Object.keys(defaults)) if (!(k in RUNTIME_DEFAULTS)) assert.equal(node[k], defaults[k], k);
            }),
        );
    });

    it("names each node that would not fit a memory limit, with what it uses", () => {
        const use = [
            { node: "redis-1", usedMemory: 10 * MiB, usedMemoryRss: 12 * MiB },
            { node: "redis-2", usedMemory: 300 * MiB, usedMemoryRss: 310 * MiB },
            { node: "redis-3", usedMemory: 20 * MiB, usedMemoryRss: 256 * MiB },
        ];
        const over = overLimit(use, 256 * MiB);
        assert.equal(over.length, 2);
        assert.match(over[0], /^redis-2 uses 300m \(used_memory 314572800, used_memory_rss 325058560\), not below the new limit 256m$/);
        assert.match(over[1], /^redis-3 uses 20m/);
        assert.deepEqual(overLimit(use, 1024 * MiB), []);
    });
});

describe("the kernel's neighbour table on one engine", () => {
    it("warns exactly when the nodes' all-to-all entries exceed the limit, naming the sysctls with values that fit twice over (property)", () => {
        fc.assert(
            fc.property(fc.integer({ min: 3, max: 1000 }), fc.integer({ min: 1, max: 1 << 20 }), (nodes, limit) => {
                const warning = neighbourTableWarning(nodes, limit);
                assert.equal(warning !== undefined, nodes * (nodes - 1) > limit);
                if (warning === undefined) return;
                const raised = Number(/gc_thresh3=(\d+)/.exec(warning)![1]);
                assert.ok(raised >= 2 * nodes * (nodes - 1), warning);
                assert.match(warning, new RegExp(`above its limit of ${limit} \\(net\\.ipv4\\.neigh\\.default\\.gc_thresh3\\)`));
            }),
        );
        assert.equal(neighbourTableWarning(50, undefined), undefined, "nothing to judge by: no warning");
    });

    it("warns for a 25x1 cluster under the kernel's default limit, and not for 3x1", () => {
        assert.match(resolveSettings({ shards: 25, replicasPerShard: 1 }, undefined, { neighbourEntries: 1024 }).warnings.join("\n"), /50 nodes on this machine's Docker engine need about 2450 entries/);
        assert.deepEqual(resolveSettings({}, undefined, { neighbourEntries: 1024 }).warnings, []);
    });
});
