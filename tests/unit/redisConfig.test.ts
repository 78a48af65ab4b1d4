import { strict as assert } from "assert";
import fc from "fast-check";
import { START_ONLY_DIRECTIVES, STACK_OWNED_DIRECTIVES, inPlaceDirectives, ownerOf, redisConfigLines, resolveRedisConfig, somaxconnFor } from "../../components/planning/redisConfig";
import { renderRedisConf } from "../../components/planning/redisConf";
import { planCluster } from "../../components/planning/plan";
import { resolveSettings } from "../../components/planning/settings";

const key = (name: string) => `redis-cluster:${name}`;

describe("redisConfig: any other redis.conf directive", () => {
    it("normalizes each directive: sorted, booleans as yes/no, names lowercased, spaces collapsed", () => {
        const { directives, problems } = resolveRedisConfig({ "lazyfree-lazy-eviction": true, HZ: 20, "slowlog-log-slower-than": " 5000 ", "client-output-buffer-limit": "pubsub  64mb 16mb 60" }, key);
        assert.deepEqual(problems, []);
        assert.deepEqual(directives, [["client-output-buffer-limit", "pubsub 64mb 16mb 60"], ["hz", "20"], ["lazyfree-lazy-eviction", "yes"], ["slowlog-log-slower-than", "5000"]]);
        assert.deepEqual(resolveRedisConfig(undefined, key), { directives: [], problems: [] });
    });

    it("renders the directives Redis reads only at a start after everything the stack renders, and sets every other one in place (property)", () => {
        const startOnly = fc.constantFrom(...START_ONLY_DIRECTIVES);
        const runtime = fc.constantFrom("hz", "lazyfree-lazy-eviction", "slowlog-log-slower-than", "notify-keyspace-events", "maxmemory-samples", "timeout");
        fc.assert(
            fc.property(fc.uniqueArray(fc.oneof(startOnly, runtime), { maxLength: 8 }), (names) => {
                const raw = Object.fromEntries(names.map((n, i) => [n, String(i + 1)]));
                const { directives } = resolveRedisConfig(raw, key);
                const lines = redisConfigLines(directives);
                const rendered = names.filter((n) => (START_ONLY_DIRECTIVES as readonly string[]).includes(n)).sort();
                assert.deepEqual(lines, rendered.length === 0 ? [] : ["# redisConfig", ...rendered.map((n) => `${n} ${raw[n]}`)]);
                assert.deepEqual(Object.keys(inPlaceDirectives(directives)).sort(), names.filter((n) => !rendered.includes(n)).sort());
            }),
        );
        const s = resolveSettings({ redisConfig: { hz: 20, "io-threads": 2 } }, "redis:7.2").settings;
        assert.match(renderRedisConf(planCluster(s).nodes[0], s), /\n# redisConfig\nio-threads 2\n$/);
        assert.doesNotMatch(renderRedisConf(planCluster(s).nodes[0], s), /hz/);
        assert.deepEqual(redisConfigLines([]), []);
    });

    it("lists no directive the stack owns as one Redis reads only at a start (those never reach redisConfig)", () => {
        for (const name of START_ONLY_DIRECTIVES) assert.equal(ownerOf(name), undefined, name);
    });

    it("gives the containers the kernel backlog the user's tcp-backlog needs, and leaves the kernel's otherwise", () => {
        assert.equal(somaxconnFor(resolveRedisConfig({ "tcp-backlog": 2048, hz: 20 }, key).directives), "2048");
        assert.equal(somaxconnFor(resolveRedisConfig({ hz: 20 }, key).directives), undefined);
    });

    it("refuses every directive a setting of the stack owns, naming that setting (property)", () => {
        const owned = fc.oneof(fc.constantFrom(...STACK_OWNED_DIRECTIVES, "maxmemory", "maxmemory-policy"), fc.constantFrom("cluster-", "tls-").chain((p) => fc.stringMatching(/^[a-z]{1,12}$/).map((s) => p + s)));
        fc.assert(
            fc.property(owned, fc.boolean(), (directive, upper) => {
                const name = upper ? directive.toUpperCase() : directive;
                const { directives, problems } = resolveRedisConfig({ [name]: "1" }, key);
                assert.deepEqual(directives, []);
                assert.equal(problems.length, 1);
                assert.ok(problems[0].startsWith(`redis-cluster:redisConfig.${name}: ${directive} is decided by ${ownerOf(directive)}`), problems[0]);
            }),
        );
        assert.match(resolveRedisConfig({ maxmemory: "1gb" }, key).problems[0], /decided by redis-cluster:maxmemory/);
        assert.match(resolveRedisConfig({ "tls-port": "1" }, key).problems[0], /decided by redis-cluster:tls/);
        assert.match(resolveRedisConfig({ "cluster-node-timeout": "1" }, key).problems[0], /decided by redis-cluster:nodeTimeoutMs/);
    });

    const refused: [string, unknown, RegExp][] = [
        ["a list instead of a map", ["hz", 20], /redis-cluster:redisConfig must be a map of redis\.conf directives to values/],
        ["a name redis.conf cannot have", { "hz 20": 1 }, /redis-cluster:redisConfig\.hz 20: "hz 20" is not a redis\.conf directive name/],
        ["a value with a quote", { "notify-keyspace-events": '"KEA"' }, /cannot be written to redis\.conf/],
        ["a backlog that is no number", { "tcp-backlog": "lots" }, /redisConfig\.tcp-backlog: "lots" is not a backlog length: a whole number from 1 to 65535/],
        ["a backlog beyond 65535", { "tcp-backlog": 70000 }, /is not a backlog length/],
        ["a value with a comment sign", { hz: "10 # fast" }, /cannot be written to redis\.conf/],
        ["an empty value", { hz: "" }, /no empty value/],
        ["a value on two lines", { hz: "10\nport 1" }, /cannot be written to redis\.conf/],
    ];
    for (const [what, raw, message] of refused) {
        it(`refuses ${what}`, () => assert.match(resolveRedisConfig(raw, key).problems.join("\n"), message));
    }

    it("every problem reaches the settings with the others", () => {
        assert.equal(resolveSettings({ redisConfig: { port: 1, hz: "" }, shards: "2" }, "redis:7.2").problems.length, 3);
    });
});
