// runtime/compiled.js, loaded through scripts/compiled.js (the path resources' state names), on a small copy of the project's layout: what Pulumi runs is rebuilt exactly
// when a source changes, a type error stops the run with the compiler's message, old builds are pruned.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");

describe("the program compiled ahead of time (runtime/compiled.js)", function () {
    this.timeout(120000);
    let dir: string;
    /** A fresh copy of compiled.js for `dir` (each require of it keeps its own current build), through the path state names. */
    const compiled = () => {
        for (const f of ["scripts/compiled.js", "runtime/compiled.js"]) delete require.cache[require.resolve(path.join(dir, f))];
        return require(path.join(dir, "scripts", "compiled.js")) as { load: (m: string) => any; buildDir: () => string };
    };
    const write = (rel: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), text);
    };

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "compiled-"));
        for (const f of ["scripts/compiled.js", "runtime/compiled.js"]) write(f, fs.readFileSync(path.join(ROOT, f), "utf8"));
        write("tsconfig.json", fs.readFileSync(path.join(ROOT, "tsconfig.json"), "utf8"));
        write("tsconfig.program.json", fs.readFileSync(path.join(ROOT, "tsconfig.program.json"), "utf8"));
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
        write("components/answer.ts", "export const answer: number = 42;\n");
        write("index.ts", 'import { answer } from "./components/answer";\nexport const doubled = answer * 2;\n');
        // `npm run status` runs from the same build.
        write("scripts/status/main.ts", 'import { answer } from "../../components/answer";\nexport const reported = `answer ${answer}`;\n');
        // So does `npm run up`'s recovery after a killed up.
        write("scripts/recover/strays.ts", 'import { answer } from "../../components/answer";\nexport const found = answer;\n');
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("compiles on first use, reuses the build while the sources stay, and rebuilds when one changes", () => {
        const first = compiled();
        assert.equal(first.load("index").doubled, 84);
        assert.equal(first.load("scripts/status/main").reported, "answer 42");
        const built = first.buildDir();
        assert.ok(fs.existsSync(path.join(built, ".complete")));
        // Another process (the dynamic provider's) finds the same build without compiling.
        fs.writeFileSync(path.join(built, "marker"), "");
        assert.equal(compiled().buildDir(), built);
        write("components/answer.ts", "export const answer: number = 50;\n");
        const next = compiled();
        assert.notEqual(next.buildDir(), built);
        assert.equal(next.load("index").doubled, 100);
        assert.ok(fs.existsSync(path.join(built, "marker")), "the earlier build is kept for runs still using it");
    });

    it("stops with the compiler's message on a type error, leaving no half-written build", () => {
        write("components/answer.ts", 'export const answer: number = "forty-two";\n');
        assert.throws(() => compiled().load("index"), /Compiling the stack's TypeScript failed:[\s\S]*TS2322/);
        const builds = path.join(dir, ".build", "program");
        assert.deepEqual(fs.existsSync(builds) ? fs.readdirSync(builds) : [], []);
    });

    it("keeps the newest builds and removes older ones", () => {
        const dirs: string[] = [];
        for (let i = 0; i < 6; i++) {
            write("components/answer.ts", `export const answer: number = ${i};\n`);
            dirs.push(compiled().buildDir());
            // Builds are told apart by age: make each one older than the next.
            const at = new Date(Date.now() - (10 - i) * 60000);
            fs.utimesSync(dirs[i], at, at);
        }
        const left = fs.readdirSync(path.join(dir, ".build", "program")).map((d) => path.join(dir, ".build", "program", d));
        assert.ok(left.includes(dirs[5]), "the current build is kept");
        assert.ok(!left.includes(dirs[0]), "the oldest build is removed");
        assert.ok(left.length <= 5, `builds left: ${left.length}`);
    });
});
