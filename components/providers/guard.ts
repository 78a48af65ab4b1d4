/**
 * The ChangeGuard's provider (resources/changeGuard.ts declares the resource): refuses, at preview
 * and at up, a config change that would lose the cluster's data or take every node down at once.
 */
import * as pulumi from "@pulumi/pulumi";
import { ClusterIdentity, refusedChanges } from "../planning/safety";

interface Inputs {
    identity: ClusterIdentity;
    allowFullRestart: boolean;
    /** Absent in state written before it existed. */
    allowDowngrade?: boolean;
}

export const changeGuardProvider: pulumi.dynamic.ResourceProvider = {
    async check(olds: Partial<Inputs>, news: Inputs): Promise<pulumi.dynamic.CheckResult> {
        // `olds` are the inputs of the last successful run: what is deployed now.
        const failures = refusedChanges(olds.identity, news.identity, news.allowFullRestart, news.allowDowngrade ?? false).map((reason) => ({ property: "identity", reason }));
        return { inputs: news, failures };
    },
    async diff(_id: string, olds: Inputs, news: Inputs): Promise<pulumi.dynamic.DiffResult> {
        const changes =
            JSON.stringify(olds.identity) !== JSON.stringify(news.identity) ||
            olds.allowFullRestart !== news.allowFullRestart ||
            (olds.allowDowngrade ?? false) !== (news.allowDowngrade ?? false);
        return { changes, replaces: [], deleteBeforeReplace: false };
    },
    async create(inputs: Inputs): Promise<pulumi.dynamic.CreateResult> {
        return { id: inputs.identity.namePrefix, outs: inputs };
    },
    async update(_id: string, _olds: Inputs, news: Inputs): Promise<pulumi.dynamic.UpdateResult> {
        return { outs: news };
    },
};
