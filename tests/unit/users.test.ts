import { strict as assert } from "assert";
import fc from "fast-check";
import { ADMIN_RULES, CLUSTER_CLIENT_RULES, REPLICATION_RULES, RESERVED_USERS, UserSpec, resolveUsers, ruleProblem, ruleTokens } from "../../components/planning/users";

// What Redis 7 documents as ACL rules (ACL CAT and the ACL SETUSER keywords), written out here, not taken from the source.
const CATEGORIES = ["all", "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection", "transaction", "scripting"];
const KEYWORDS = ["allkeys", "resetkeys", "allchannels", "resetchannels", "allcommands", "nocommands", "clearselectors", "sanitize-payload", "skip-sanitize-payload"];

const chars = (from: number, to: number, except = "") =>
    fc.integer({ min: from, max: to }).map((c) => String.fromCharCode(c)).filter((c) => !except.includes(c));
/** Printable ASCII without space: what a password may hold. */
const password = fc.string({ unit: chars(0x21, 0x7e), minLength: 1, maxLength: 40 });
/** A key or channel pattern: printable ASCII without space or parentheses (which would open or close a selector). */
const pattern = fc.string({ unit: chars(0x21, 0x7e, "()"), minLength: 1, maxLength: 12 });
const userName = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.@:-]{0,63}$/).filter((n) => !RESERVED_USERS.includes(n));

/** One well-formed rule that is not a selector. */
const simpleRule = fc.oneof(
    fc.tuple(fc.constantFrom("~", "%R~", "%W~", "%RW~", "&"), pattern).map(([p, s]) => p + s),
    fc.tuple(fc.constantFrom("+", "-"), fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,15}(\|[A-Za-z0-9_-]{1,10})?$/)).map(([p, c]) => p + c),
    fc.tuple(fc.constantFrom("+@", "-@"), fc.mixedCase(fc.constantFrom(...CATEGORIES))).map(([p, c]) => p + c),
    fc.mixedCase(fc.constantFrom(...KEYWORDS)),
);
/** "(rule rule ...)": a selector of well-formed rules. */
const selector = fc.tuple(fc.array(simpleRule, { minLength: 1, maxLength: 4 }), fc.constantFrom(" ", "  ", "\t")).map(([rules, sep]) => `(${rules.join(sep)})`);
const whitespace = fc.stringMatching(/^[ \t\n]{1,3}$/);

/** Well-formed rule text and the tokens it is made of, separated by any whitespace. */
const rulesArb = fc
    .tuple(fc.array(fc.tuple(fc.oneof({ weight: 4, arbitrary: simpleRule }, { weight: 1, arbitrary: selector }), whitespace), { minLength: 1, maxLength: 8 }), fc.constantFrom("", " ", "\n"))
    .map(([parts, lead]) => ({ tokens: parts.map(([t]) => t), text: lead + parts.map(([t, ws]) => t + ws).join("") }));

const userArb: fc.Arbitrary<UserSpec> = fc.record({ name: userName, password, rules: rulesArb.map((r) => r.text) });
const usersArb = fc.uniqueArray(userArb, { selector: (u) => u.name, maxLength: 6 });

const at = (i: number) => `redis-cluster:users[${i}]`;
/** Whether some problem names entry i (and, when given, the user's name). */
const names = (problems: string[], i: number, name?: string) => problems.some((p) => p.includes(at(i)) && (name === undefined || p.includes(`(${name})`)));

describe("ACL users (redis-cluster:users)", () => {
    it("is absent when not set", () => {
        for (const raw of [undefined, null]) {
            const r = resolveUsers(raw);
            assert.equal(r.users, undefined);
            assert.deepEqual([r.problems, r.warnings], [[], []]);
        }
        assert.deepEqual(resolveUsers([]), { users: [], problems: [], warnings: [] });
    });

    it("accepts a typical list as it is", () => {
        const users = [
            { name: "app", password: "app-Secret_1", rules: "~app:* +@read +@write -@dangerous" },
            { name: "reports@example.com", password: "r!#$%&*+=?", rules: "%R~* &news:* +get +client|id (~cache:* +@all) resetchannels" },
        ];
        assert.deepEqual(resolveUsers(users), { users, problems: [], warnings: [] });
    });

    it("accepts any list of well-formed users unchanged, without a problem or a warning (property)", () => {
        fc.assert(
            fc.property(usersArb, (users) => {
                const r = resolveUsers(structuredClone(users));
                assert.deepEqual(r.problems, []);
                assert.deepEqual(r.warnings, []);
                assert.deepEqual(r.users, users.map((u) => ({ ...u })));
            }),
        );
    });

    it("accepts a name of 64 characters and refuses one of 65", () => {
        const ok = "a".repeat(64);
        assert.deepEqual(resolveUsers([{ name: ok, password: "p", rules: "+get" }]).problems, []);
        assert.ok(names(resolveUsers([{ name: ok + "a", password: "p", rules: "+get" }]).problems, 0));
    });

    it("warns, but accepts, a user with no rules", () => {
        for (const entry of [{ name: "idle", password: "p", rules: "" }, { name: "idle", password: "p", rules: " \t\n " }, { name: "idle", password: "p" }]) {
            const r = resolveUsers([{ name: "app", password: "q", rules: "+get" }, entry]);
            assert.deepEqual(r.problems, [], JSON.stringify(entry));
            assert.equal(r.warnings.length, 1);
            assert.ok(r.warnings[0].includes(`${at(1)} (idle)`), r.warnings[0]);
            assert.deepEqual(r.users?.map((u) => u.name), ["app", "idle"]);
        }
    });

    it("refuses a value that is not a list, naming the key", () => {
        for (const raw of ["app", 5, true, { name: "app", password: "p", rules: "+get" }]) {
            const r = resolveUsers(raw);
            assert.equal(r.problems.length, 1, JSON.stringify(raw));
            assert.match(r.problems[0], /^redis-cluster:users /);
        }
    });

    /** A bad entry made from a well-formed user (whose name no other user has), the name its problem must show, if any. */
    const badEntries: [string, (good: UserSpec) => unknown, (good: UserSpec) => string | undefined][] = [
        ...RESERVED_USERS.map((n): [string, (g: UserSpec) => unknown, (g: UserSpec) => string] => [`the reserved name "${n}"`, (g) => ({ ...g, name: n }), () => n]),
        ["a missing password", ({ name, rules }) => ({ name, rules }), (g) => g.name],
        ["an empty password", (g) => ({ ...g, password: "" }), (g) => g.name],
        ["a password that is not text", (g) => ({ ...g, password: 1234 }), (g) => g.name],
        ["a password with a space", (g) => ({ ...g, password: "my secret" }), (g) => g.name],
        ["a password with a tab", (g) => ({ ...g, password: "my\tsecret" }), (g) => g.name],
        ["a password with a non-ASCII letter", (g) => ({ ...g, password: "pässwort" }), (g) => g.name],
        ["an empty name", (g) => ({ ...g, name: "" }), () => undefined],
        ["a name starting with a dash", (g) => ({ ...g, name: "-app" }), () => undefined],
        ["a name with a space", (g) => ({ ...g, name: "my app" }), () => undefined],
        ["a name with a slash", (g) => ({ ...g, name: "a/b" }), () => undefined],
        ["a name that is not text", (g) => ({ ...g, name: 42 }), () => undefined],
        ["a missing name", ({ password, rules }) => ({ password, rules }), () => undefined],
        ["rules that are not text", (g) => ({ ...g, rules: ["~*", "+get"] }), (g) => g.name],
        ["an entry that is null", () => null, () => undefined],
        ["an entry that is a string", (g) => g.name, () => undefined],
        ["an entry that is a number", () => 7, () => undefined],
        ["an entry that is a list", (g) => [g.name, g.password, g.rules], () => undefined],
        // The field's problem names the entry and the field (see the report: not the user's name).
        ["an unknown field", (g) => ({ ...g, pasword: "x" }), () => undefined],
    ];
    for (const [what, bad, label] of badEntries) {
        it(`refuses ${what}, naming redis-cluster:users[i] (property)`, () => {
            fc.assert(
                fc.property(usersArb, userArb, fc.nat(), (users, good, k) => {
                    fc.pre(!users.some((u) => u.name === good.name));
                    const i = k % (users.length + 1);
                    const raw: unknown[] = [...users];
                    raw.splice(i, 0, bad(good));
                    const { problems } = resolveUsers(raw);
                    assert.ok(problems.length > 0, `no problem for ${JSON.stringify(raw)}`);
                    assert.ok(names(problems, i, label(good)), `${at(i)} ${label(good) ?? ""} not named in:\n${problems.join("\n")}`);
                    // The well-formed users around it are not blamed.
                    assert.ok(problems.every((p) => p.includes(at(i))), problems.join("\n"));
                }),
                { numRuns: 30 },
            );
        });
    }

    it("refuses a name listed twice, naming the second entry and the name (property)", () => {
        fc.assert(
            fc.property(usersArb.filter((u) => u.length > 0), userArb, fc.nat(), fc.nat(), (users, other, j, k) => {
                // The first entry named `twice` is well formed; the second, anywhere after it, is refused.
                const first = j % users.length;
                const twice = users[first].name;
                const i = first + 1 + (k % (users.length - first));
                const raw = [...users];
                raw.splice(i, 0, { ...other, name: twice });
                const { problems } = resolveUsers(raw);
                assert.ok(names(problems, i, twice), problems.join("\n"));
                assert.ok(problems.every((p) => p.includes(at(i))), problems.join("\n"));
            }),
            { numRuns: 50 },
        );
    });

    const badRules = ["on", "off", "nopass", "resetpass", "reset", ">x", "<x", "#abc", "!!", "ON", "NoPass", "(~x +get", "(", "(~x (+get))", "((~x))", "()", "(~x on)", "(~x >pw)", "~", "&", "+", "get", "+get|", "+1get", "@read"];
    for (const rule of badRules) {
        it(`refuses the rule "${rule}" among well-formed ones, naming the user (property)`, () => {
            fc.assert(
                fc.property(usersArb, userArb, fc.nat(), fc.boolean(), (users, good, k, first) => {
                    fc.pre(!users.some((u) => u.name === good.name));
                    const i = k % (users.length + 1);
                    const raw: UserSpec[] = [...users];
                    raw.splice(i, 0, { ...good, rules: first ? `${rule} ${good.rules}` : `${good.rules} ${rule}` });
                    const { problems } = resolveUsers(raw);
                    assert.ok(names(problems, i, good.name), `${at(i)} (${good.name}) not named for "${rule}" in:\n${problems.join("\n")}`);
                    assert.ok(problems.some((p) => p.includes(".rules")));
                    assert.ok(problems.every((p) => p.includes(at(i))), problems.join("\n"));
                }),
                { numRuns: 20 },
            );
            assert.notEqual(ruleProblem(rule), undefined, rule);
        });
    }

    it("reports every problem of a list at once", () => {
        const r = resolveUsers([{ name: "default", password: "p", rules: "+get" }, 5, { name: "app", password: "", rules: "on +@nosuch" }, { name: "app", password: "p", rules: "+get" }]);
        for (const [i, name] of [[0, "default"], [1, undefined], [2, "app"], [3, "app"]] as const) assert.ok(names(r.problems, i, name), `${i}: ${r.problems.join("\n")}`);
        assert.ok(r.problems.length >= 5, r.problems.join("\n"));
    });

    it("never repeats a password in a problem or a warning", () => {
        for (const pw of ["my secret", "tab\tsecret", "pässwort"]) {
            const r = resolveUsers([{ name: "app", password: pw, rules: "on" }]);
            assert.ok(r.problems.length > 0);
            assert.ok([...r.problems, ...r.warnings].every((p) => !p.includes(pw)), r.problems.join("\n"));
        }
        fc.assert(
            fc.property(fc.string({ minLength: 6 }).map((s) => `S3cr3t ${s}`), (pw) => {
                const r = resolveUsers([{ name: "app", password: pw, rules: "" }]);
                assert.ok([...r.problems, ...r.warnings].every((p) => !p.includes(pw)));
            }),
        );
    });

    it("never repeats a password written into the rules (>, <, #, !), also inside a selector", () => {
        fc.assert(
            fc.property(fc.constantFrom(">", "<", "#", "!"), fc.stringMatching(/^[A-Za-z0-9]{6,20}$/), fc.constantFrom("alone", "selector", "unclosed"), (sign, secret, where) => {
                const rule = where === "alone" ? `${sign}${secret}` : where === "selector" ? `(~x ${sign}${secret})` : `(~x ${sign}${secret}`;
                const r = resolveUsers([{ name: "app", password: "app-password", rules: `~app:* ${rule} +@read` }]);
                assert.equal(r.problems.length, 1, r.problems.join("\n"));
                assert.ok(!r.problems[0].includes(secret), r.problems[0]);
                assert.ok(r.problems[0].includes(`${sign}...`), r.problems[0]);
            }),
        );
    });
});

describe("ACL rules", () => {
    it("leaves to Redis what depends on the image (module commands and categories), and reads %R~/%W~ in any order and case", () => {
        for (const rule of ["+@nosuchcategory", "-@search", "+json.get", "-ft.search", "(~x +@json)", "%WR~x", "%r~x", "%rw~x"]) assert.equal(ruleProblem(rule), undefined, rule);
    });

    it("accepts every well-formed rule and selector (property)", () => {
        fc.assert(fc.property(fc.oneof(simpleRule, selector), (rule) => assert.equal(ruleProblem(rule), undefined, rule)));
    });

    it("accepts the rules the stack itself gives its users and every cluster client", () => {
        for (const rule of [...ADMIN_RULES, ...REPLICATION_RULES, ...CLUSTER_CLIENT_RULES]) assert.equal(ruleProblem(rule), undefined, rule);
    });

    it("refuses a selector inside a selector", () => {
        assert.notEqual(ruleProblem("(~x +get)", true), undefined);
        assert.equal(ruleProblem("(~x +get)"), undefined);
    });

    it("keeps a selector as one token and splits the rest on whitespace", () => {
        assert.deepEqual(ruleTokens("~app:* (~x +get) +set"), ["~app:*", "(~x +get)", "+set"]);
        assert.deepEqual(ruleTokens("  +get\t\n-del  "), ["+get", "-del"]);
        assert.deepEqual(ruleTokens(""), []);
        assert.deepEqual(ruleTokens(" \t\n"), []);
        assert.deepEqual(ruleTokens("(~a  %R~b\t+get) (&c)"), ["(~a  %R~b\t+get)", "(&c)"]);
    });

    it("returns the rules a well-formed text was made of, whatever whitespace separates them (property)", () => {
        fc.assert(fc.property(rulesArb, ({ tokens, text }) => assert.deepEqual(ruleTokens(text), tokens)));
    });

    it("returns words and selectors of any text as they were written (property)", () => {
        const word = fc.string({ unit: chars(0x21, 0x7e, "()"), minLength: 1, maxLength: 8 });
        const sel = fc.string({ unit: fc.oneof(chars(0x20, 0x7e, ")"), fc.constantFrom("\t", "\n")), maxLength: 10 }).map((s) => `(${s})`);
        fc.assert(
            fc.property(fc.array(fc.tuple(fc.oneof(word, sel), whitespace), { maxLength: 8 }), (parts) => {
                assert.deepEqual(ruleTokens(parts.map(([t, ws]) => t + ws).join("")), parts.map(([t]) => t));
            }),
        );
    });

    it("is stable: the tokens joined by single spaces give the same tokens, and only whitespace is dropped (property)", () => {
        const text = fc.string({ unit: fc.oneof(fc.constantFrom("(", ")", " ", "\t", "\n", "~", "+", "@", "a", "b", "|"), chars(0x20, 0x7e)), maxLength: 40 });
        fc.assert(
            fc.property(text, (s) => {
                const tokens = ruleTokens(s);
                assert.deepEqual(ruleTokens(tokens.join(" ")), tokens);
                assert.equal(tokens.join("").replace(/\s/g, ""), s.replace(/\s/g, ""));
                for (const t of tokens) assert.ok(t.startsWith("(") || !/[\s(]/.test(t), JSON.stringify(t));
            }),
            { numRuns: 300 },
        );
    });
});

describe("problems of one user entry", () => {
    it("names the user in an unknown-field problem, and reports an invalid name together with the entry's other problems", () => {
        const typo = resolveUsers([{ name: "app", password: "p", rules: "+get", pasword: "x" }]);
        assert.ok(typo.problems.some((p) => p.startsWith("redis-cluster:users[0] (app).pasword is not a user setting")), typo.problems.join("\n"));
        const bad = resolveUsers([{ name: "-bad", password: "my secret", rules: "on" }]);
        assert.equal(bad.problems.length, 3, bad.problems.join("\n"));
        assert.deepEqual(bad.users, []);
    });
});
