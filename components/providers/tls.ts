/**
 * The TLS resources' providers (resources/tls.ts declares them). The CA is made once. A node
 * certificate is made again when what it must name changes, when its CA changes, or when fewer than
 * renewBeforeDays days are left at preview or up: its container then rolls like any other change.
 */
import * as pulumi from "@pulumi/pulumi";
import { CA_VALIDITY_DAYS, needsRenewal } from "../planning/tls";
import { NodeCertificateRequest, createAuthority, issueNodeCertificate } from "../engine/certificates";

interface AuthorityInputs {
    clusterName: string;
}

export const tlsAuthorityProvider: pulumi.dynamic.ResourceProvider = {
    async diff(): Promise<pulumi.dynamic.DiffResult> {
        // Never renewed by up: a new CA cannot roll (nodes trusting only the old one would refuse the new).
        return { changes: false, replaces: [], deleteBeforeReplace: false };
    },
    async create(inputs: AuthorityInputs): Promise<pulumi.dynamic.CreateResult> {
        const ca = await createAuthority(`${inputs.clusterName} Redis Cluster CA`, CA_VALIDITY_DAYS);
        return { id: inputs.clusterName, outs: { ...inputs, ...ca } };
    },
};

export interface NodeCertificateInputs extends NodeCertificateRequest {
    renewBeforeDays: number;
}

interface NodeCertificateOutputs extends NodeCertificateInputs {
    certPem: string;
    keyPem: string;
    notAfter: string;
}

/** Inputs that the certificate states: a change makes a new one. validityDays applies from the next one on. */
const STATED: (keyof NodeCertificateInputs)[] = ["caCertPem", "commonName", "dnsNames", "ips"];

async function issue(inputs: NodeCertificateInputs): Promise<NodeCertificateOutputs> {
    return { ...inputs, ...(await issueNodeCertificate(inputs)) };
}

export const nodeCertificateProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: NodeCertificateOutputs, news: NodeCertificateInputs): Promise<pulumi.dynamic.DiffResult> {
        const stated = STATED.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
        const due = needsRenewal(olds.notAfter, new Date(), news.renewBeforeDays);
        const settingsOnly = olds.validityDays !== news.validityDays || olds.renewBeforeDays !== news.renewBeforeDays;
        return { changes: stated.length > 0 || due || settingsOnly, replaces: [], deleteBeforeReplace: false };
    },
    async create(inputs: NodeCertificateInputs): Promise<pulumi.dynamic.CreateResult> {
        return { id: inputs.commonName, outs: await issue(inputs) };
    },
    async update(_id: string, olds: NodeCertificateOutputs, news: NodeCertificateInputs): Promise<pulumi.dynamic.UpdateResult> {
        const renew = STATED.some((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k])) || needsRenewal(olds.notAfter, new Date(), news.renewBeforeDays);
        // Only the validity settings changed: keep the certificate (no restart), record the settings.
        return { outs: renew ? await issue(news) : { ...olds, validityDays: news.validityDays, renewBeforeDays: news.renewBeforeDays } };
    },
};
