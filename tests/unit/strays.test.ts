// scripts/recover/strays.ts, pure: the engines a stack's containers run on, and the ids its state records.
import { strict as assert } from "assert";
import { recordedContainerIds, stackEngines } from "../../scripts/recover/strays";
import { StackExport } from "../../scripts/status/stack";

const provider = (name: string, host: string, certPath?: string) => ({
    urn: `urn:pulumi:s::redis-cluster::pulumi:providers:docker::${name}`,
    type: "pulumi:providers:docker",
    inputs: { host, ...(certPath ? { certPath } : {}) },
});
const container = (name: string, id: string, providerName?: string) => ({
    urn: `urn:pulumi:s::redis-cluster::docker:index/container:Container::${name}`,
    type: "docker:index/container:Container",
    ...(providerName ? { provider: `urn:pulumi:s::redis-cluster::pulumi:providers:docker::${providerName}::pid-${providerName}` } : {}),
    outputs: { id, name },
});

describe("containers a stopped up left unrecorded", () => {
    const state: StackExport = {
        deployment: {
            resources: [
                provider("h1", "unix:///run/rch-1.sock"),
                provider("h2", "tcp://10.0.0.2:2376", "/certs/h2"),
                container("r-1", "aaa", "h1"),
                container("r-2", "bbb", "h2"),
                container("r-3", "ccc", "h1"),
                container("local-1", "ddd"),
            ],
        },
    };

    it("asks every engine the stack's containers were made on once, each with its endpoint and TLS material", () => {
        const engines = stackEngines(state, { PATH: "/bin" });
        assert.deepEqual([...engines.keys()].sort(), ["", "tcp://10.0.0.2:2376", "unix:///run/rch-1.sock"]);
        assert.deepEqual(engines.get("tcp://10.0.0.2:2376"), { PATH: "/bin", DOCKER_HOST: "tcp://10.0.0.2:2376", DOCKER_CERT_PATH: "/certs/h2", DOCKER_TLS_VERIFY: "1" });
        assert.deepEqual(engines.get(""), { PATH: "/bin" }, "the local engine as the environment gives it");
    });

    it("knows every container the state records, by id, and nothing else", () => {
        assert.deepEqual([...recordedContainerIds(state)].sort(), ["aaa", "bbb", "ccc", "ddd"]);
        assert.equal(recordedContainerIds({}).size, 0);
    });
});
