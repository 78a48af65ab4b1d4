/** Reading exporters as a Prometheus would: over HTTP, in Prometheus's text format. */
import * as http from "http";
import { eventually } from "./redis";

/** A GET's body over HTTP; a status other than 200 is an error naming the URL. */
export function httpGet(url: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const req = http.get(url, { timeout: 10000 }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (chunk) => (body += chunk));
            res.on("end", () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: HTTP ${res.statusCode}: ${body.slice(0, 200)}`))));
        });
        req.on("timeout", () => req.destroy(new Error(`${url}: no answer in 10 s`)));
        req.on("error", reject);
    });
}

/** An exporter's metrics, as Prometheus scrapes them. */
export const scrape = (target: string): Promise<string> => httpGet(`http://${target}/metrics`);

/** One sample's value from Prometheus's text format, by name and (optionally) a label fragment. */
export function sample(body: string, name: string, labels = ""): number | undefined {
    const line = body.split("\n").find((l) => l.startsWith(name) && (l[name.length] === " " || l[name.length] === "{") && l.includes(labels));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

/** Waits until every target's exporter reaches its node: redis_up 1 and the cluster's state read. */
export async function scrapeAll(targets: string[]): Promise<Record<string, string>> {
    const bodies: Record<string, string> = {};
    for (const target of targets) {
        bodies[target] = await eventually(`${target} to export its node`, 60000, async () => {
            const body = await scrape(target).catch(() => undefined);
            return body !== undefined && sample(body, "redis_up") === 1 && sample(body, "redis_cluster_state") !== undefined ? body : undefined;
        });
    }
    return bodies;
}

