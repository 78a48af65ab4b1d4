// The plugin's entry: the components it serves (Pulumi's plugin runner finds them among the exports).
export { RedisCluster } from "../components/redisCluster";
