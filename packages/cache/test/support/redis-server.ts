// The private redis-server lives in the test kit, where the platform's tests reach it too.
export { type RedisServer, startRedisServer } from "@printfab/testkit";
