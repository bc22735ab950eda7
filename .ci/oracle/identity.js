// One on-device getOffers with the Node.js SDK and its Experience Cloud visitor, offline: prints
// {"request", "visitorState", "notifications"} for identity.py to compare with our decide tool.
//   node identity.js ARTIFACT CALL CONF      (CALL: {"request", "visitorCookie", "customerIds", "consumerId"})
"use strict";
const fs = require("fs");

const [artifactFile, callFile, confFile] = process.argv.slice(2);
const read = file => JSON.parse(fs.readFileSync(file, "utf8"));
const artifact = read(artifactFile);
const call = read(callFile);
const conf = read(confFile);

const sent = [];
global.fetch = async (input, init = {}) => {
  const url = typeof input === "string" ? input : input.url;
  if (/\/rest\/v1\/delivery/.test(url) && init.body) {
    const body = JSON.parse(String(init.body));
    if (new URL(url).searchParams.get("sessionId") !== "ping123") sent.push(body);
    return new Response(JSON.stringify({ status: 200, requestId: body.requestId }), {
      status: 200,
      headers: { "content-type": "application/json" }
    });
  }
  return new Response("{}", { status: 404 });
};

const TargetClient = require(require.resolve("@adobe/target-nodejs-sdk", {
  paths: [process.env.TARGET_NODEJS_SDK_DIR]
}));

async function main() {
  let client;
  await new Promise(resolve => {
    client = TargetClient.create(Object.assign({}, conf, {
      decisioningMethod: "on-device",
      artifactPayload: artifact,
      pollingInterval: 0,
      telemetryEnabled: false,
      logger: { debug() {}, error() {} },
      events: { clientReady: resolve }
    }));
  });
  const pending = [];
  const send = client.sendNotifications.bind(client);
  client.sendNotifications = options => {
    const p = send(options);
    pending.push(p.catch(() => undefined));
    return p;
  };
  const result = await client.getOffers(call);
  await new Promise(r => setTimeout(r, 5));
  await Promise.all(pending);
  process.stdout.write(JSON.stringify({
    request: result.request,
    visitorState: result.visitorState,
    notifications: sent
  }) + "\n", () => process.exit(0));
}

main().catch(e => {
  process.stdout.write(JSON.stringify({ error: String(e && e.message || e) }) + "\n", () => process.exit(0));
});
