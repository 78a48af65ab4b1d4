/**
 * TLS material as dynamic resources (providers/tls.ts): the stack's own CA, and one certificate per
 * node. Private keys are secret outputs: encrypted in state, shown nowhere.
 */
import * as pulumi from "@pulumi/pulumi";
import { LoadedDynamicResource } from "./dynamic";

export class TlsAuthority extends LoadedDynamicResource {
    declare readonly certPem: pulumi.Output<string>;
    declare readonly keyPem: pulumi.Output<string>;

    constructor(name: string, args: { clusterName: pulumi.Input<string> }, opts?: pulumi.CustomResourceOptions) {
        super("TlsAuthority", { module: "components/providers/tls", export: "tlsAuthorityProvider" }, name, { ...args, certPem: undefined, keyPem: undefined, notAfter: undefined }, {
            ...opts,
            additionalSecretOutputs: ["keyPem"],
        });
    }
}

export interface NodeCertificateArgs {
    caCertPem: pulumi.Input<string>;
    caKeyPem: pulumi.Input<string>;
    commonName: string;
    dnsNames: string[];
    ips: string[];
    validityDays: number;
    renewBeforeDays: number;
}

export class NodeCertificate extends LoadedDynamicResource {
    declare readonly certPem: pulumi.Output<string>;
    declare readonly keyPem: pulumi.Output<string>;
    declare readonly notAfter: pulumi.Output<string>;

    constructor(name: string, args: NodeCertificateArgs, opts?: pulumi.CustomResourceOptions) {
        super("NodeCertificate", { module: "components/providers/tls", export: "nodeCertificateProvider" }, name, { ...args, certPem: undefined, keyPem: undefined, notAfter: undefined }, {
            ...opts,
            additionalSecretOutputs: ["keyPem", "caKeyPem"],
        });
    }
}
