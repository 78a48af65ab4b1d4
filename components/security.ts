/**
 * ClusterSecurity: who may log in and how nodes are reached, for RedisCluster. It declares the
 * resources that hold the secrets (the stack's own users, the CA, one certificate per node) and
 * hands each node its redis.conf and files, and the engine what it logs in with.
 */
import * as pulumi from "@pulumi/pulumi";
import { InternalUsers as InternalUsersValue, NodeAccess, internalAclLines } from "./planning/access";
import { NodePlan } from "./planning/plan";
import { renderRedisConf } from "./planning/redisConf";
import { tlsMode } from "./planning/safety";
import { ClusterSettings, aclMode } from "./planning/settings";
import { certificateNames } from "./planning/tls";
import { UserSpec } from "./planning/users";
import { InternalUsers } from "./resources/internalUsers";
import { NodeCertificate, TlsAuthority } from "./resources/tls";
import { ExporterLogin, METRICS_USER, metricsUser } from "./planning/metrics";
import { MetricsLogin } from "./resources/metricsLogin";

export interface NodeTlsFiles {
    caCert: pulumi.Input<string>;
    cert: pulumi.Input<string>;
    key: pulumi.Input<string>;
    /** When the certificate expires (ISO time): the alert rules warn before. */
    notAfter: pulumi.Output<string>;
}

export class ClusterSecurity {
    /** The default user's password (secret); undefined: no AUTH. */
    readonly password?: pulumi.Output<string>;
    /** ACL mode only: the stack's own users (secret), and the named users (secret). */
    readonly internal?: pulumi.Output<InternalUsersValue>;
    /** ACL mode only: whether the default user may log in (config, plain: not one of the generated secrets). */
    readonly defaultUserEnabled?: boolean;
    /** Who may log in to a node (the password, the stack's own users, the default user's setting), made here once for every node's files. */
    private readonly access: pulumi.Output<NodeAccess>;
    readonly users?: pulumi.Output<UserSpec[]>;
    /** ACL mode only: the stack's own users as aclfile lines, for every node's container (secret). */
    readonly internalAcl?: pulumi.Output<string>;
    /** TLS only: the CA (certificate public, key secret), and which CA it is (planning/safety: tlsMode). */
    readonly authority?: { certPem: pulumi.Output<string>; keyPem: pulumi.Output<string> };
    readonly tlsMode?: string;
    /** With metrics: how the exporters log in (secret when it holds a password). */
    readonly exporterLogin?: pulumi.Output<ExporterLogin>;

    /** `opts`: where the resources go (the cluster), and what they wait for (the change guard). */
    constructor(
        name: string,
        private readonly settings: ClusterSettings,
        private readonly opts: { parent: pulumi.Resource; dependsOn: pulumi.Resource[] },
    ) {
        this.password = settings.password === undefined ? undefined : pulumi.secret(settings.password);
        if (aclMode(settings)) {
            const made = new InternalUsers(`${name}-internal-users`, { clusterName: settings.namePrefix }, opts);
            this.internal = pulumi.secret(
                pulumi.all([made.adminPassword, made.replicationPassword]).apply(([adminPassword, replicationPassword]) => ({ adminPassword, replicationPassword })),
            );
            this.defaultUserEnabled = !settings.disableDefaultUser;
            this.users = pulumi.secret(settings.users ?? []);
            if (settings.metrics) {
                // The exporters' read-only user, set by the engine on every node beside the named users.
                const metrics = new MetricsLogin(`${name}-metrics-login`, { clusterName: settings.namePrefix }, opts);
                this.users = pulumi.secret(pulumi.all([settings.users ?? [], metrics.password]).apply(([users, password]) => [...users, metricsUser(password)]));
                this.exporterLogin = pulumi.secret(metrics.password.apply((password) => ({ username: METRICS_USER, password })));
            }
        } else if (settings.metrics) {
            // The only user there is: the default user, with the password if there is one.
            this.exporterLogin = this.password === undefined ? pulumi.output({}) : pulumi.secret(this.password.apply((password) => ({ password })));
        }
        const defaultUserEnabled = this.defaultUserEnabled;
        this.access = pulumi.all([this.password, this.internal]).apply(([password, internal]) => ({ password, internal, defaultUserEnabled }));
        if (this.internal) {
            this.internalAcl = this.access.apply((a) => internalAclLines(a).join("\n") + "\n");
        }
        const tls = settings.tls;
        if (tls) {
            // The user's CA, or one the stack makes once.
            this.authority =
                tls.caCert !== undefined
                    ? { certPem: pulumi.output(tls.caCert), keyPem: pulumi.secret(tls.caKey!) }
                    : new TlsAuthority(`${name}-ca`, { clusterName: settings.namePrefix }, opts);
            this.tlsMode = tlsMode(tls);
        }
    }

    /** The node's redis.conf: a secret when it holds a password. */
    redisConf(node: NodePlan): pulumi.Output<string> {
        // Secret exactly when the access holds a password or the stack's own users.
        return this.access.apply((a) => renderRedisConf(node, this.settings, a));
    }

    /** With TLS, the node's own certificate (declared here, once per node) and the CA's. */
    nodeTls(node: NodePlan): NodeTlsFiles | undefined {
        const tls = this.settings.tls;
        if (!tls || !this.authority) {
            return undefined;
        }
        const certificate = new NodeCertificate(
            `${node.name}-certificate`,
            { caCertPem: this.authority.certPem, caKeyPem: this.authority.keyPem, ...certificateNames(node), validityDays: tls.validityDays, renewBeforeDays: tls.renewBeforeDays },
            this.opts,
        );
        return { caCert: this.authority.certPem, cert: certificate.certPem, key: certificate.keyPem, notAfter: certificate.notAfter };
    }
}
