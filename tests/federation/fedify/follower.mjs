// A small Fedify server that plays a Fediverse reader following one of our sources.
//
// Fedify (not our code) verifies every signature we send, parses every activity with its own
// vocabulary, and dereferences what we link to. It listens on 127.0.0.1 (port 0) and prints one
// JSON line {"listening": port}; the pytest test drives it through /_control/* and reads back
// what it saw from /_control/state. Run by tests/federation/test_fed_fedify.py.
import http from "node:http";
import { createFederation, generateCryptoKeyPair, MemoryKvStore } from "@fedify/fedify";
import {
  Accept,
  Article,
  Create,
  Delete,
  Endpoints,
  Follow,
  Note,
  Person,
  PUBLIC_COLLECTION,
  QuoteAuthorization,
  QuoteRequest,
  Reject,
  Tombstone,
  Update,
} from "@fedify/vocab";

const NAME = "reader";
const state = { received: [], errors: [], refusedForRfc9421: 0 };
// When set, inbox POSTs signed only with draft-cavage get 401 (a server that wants RFC 9421):
// the sender must double-knock, and Fedify then verifies its RFC 9421 signature.
let require9421 = false;
let lastScheme = null;
const rsa = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");

const federation = createFederation({
  kv: new MemoryKvStore(),
  allowPrivateAddress: true, // everything here is on loopback
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== NAME) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify reader",
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKey: keys[0].cryptographicKey,
    });
  })
  .setKeyPairsDispatcher(async (_ctx, identifier) => (identifier === NAME ? [rsa] : []));

function plain(v) {
  if (v == null) return null;
  if (typeof v === "string") return v;
  return v.toString();
}

async function describe(obj) {
  // What a reader's server takes from one of our posts, read through Fedify's vocabulary.
  if (obj == null) return null;
  const out = {
    class: obj.constructor.name,
    id: plain(obj.id),
    url: plain(obj.url?.href ?? obj.url),
  };
  if (obj instanceof Tombstone) return out;
  if (obj instanceof Note || obj instanceof Article) {
    out.content = plain(obj.content);
    out.name = plain(obj.name);
    out.published = plain(obj.published);
    out.updated = plain(obj.updated);
    out.attributedTo = plain(obj.attributionId);
    out.to = obj.toIds.map(plain);
    out.tags = [];
    for await (const t of obj.getTags()) out.tags.push(plain(t.name));
    const policy = obj.interactionPolicy;
    out.canQuote = policy?.canQuote
      ? {
          automatic: policy.canQuote.automaticApprovals.map(plain),
          manual: policy.canQuote.manualApprovals.map(plain),
        }
      : null;
    out.repliesId = plain(obj.repliesId);
    out.likesId = plain(obj.likesId);
    out.sharesId = plain(obj.sharesId);
  }
  return out;
}

function record(kind, ctx, extra) {
  state.received.push({ kind, scheme: lastScheme, ...extra });
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Accept, async (ctx, accept) => {
    const object = await accept.getObject({ crossOrigin: "trust" });
    const entry = {
      actor: plain(accept.actorId),
      object: object?.constructor?.name ?? null,
      objectId: plain(accept.objectId),
      result: plain(accept.resultId),
    };
    if (object instanceof QuoteRequest && accept.resultId) {
      // Dereference the stamp and read it as Fedify's QuoteAuthorization.
      const stamp = await ctx.lookupObject(accept.resultId);
      entry.stamp =
        stamp instanceof QuoteAuthorization
          ? {
              class: "QuoteAuthorization",
              id: plain(stamp.id),
              attributedTo: plain(stamp.attributionId),
              interactingObject: plain(stamp.interactingObjectId),
              interactionTarget: plain(stamp.interactionTargetId),
              json: await stamp.toJsonLd({ format: "compact" }),
            }
          : { class: stamp?.constructor?.name ?? null };
    }
    record("Accept", ctx, entry);
  })
  .on(Reject, async (ctx, reject) => {
    record("Reject", ctx, { actor: plain(reject.actorId), objectId: plain(reject.objectId) });
  })
  .on(Create, async (ctx, create) => {
    record("Create", ctx, {
      actor: plain(create.actorId),
      id: plain(create.id),
      object: await describe(await create.getObject()),
    });
  })
  .on(Update, async (ctx, update) => {
    record("Update", ctx, {
      actor: plain(update.actorId),
      id: plain(update.id),
      object: await describe(await update.getObject()),
    });
  })
  .on(Delete, async (ctx, del) => {
    const obj = await del.getObject({ crossOrigin: "trust" }).catch(() => null);
    record("Delete", ctx, {
      actor: plain(del.actorId),
      id: plain(del.id),
      objectId: plain(del.objectId),
      object: obj ? obj.constructor.name : null,
    });
  })
  .onError((_ctx, error) => {
    state.errors.push(String(error?.stack ?? error));
  });

let origin = null;

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks);
}

async function control(path, body) {
  const ctx = federation.createContext(new URL(origin), undefined);
  const me = ctx.getActorUri(NAME);
  if (path === "/_control/state") return state;
  if (path === "/_control/require-rfc9421") {
    require9421 = !!body.on;
    return { require9421 };
  }
  if (path === "/_control/follow") {
    const target = await ctx.lookupObject(body.actor);
    if (target == null) throw new Error(`Fedify could not look up ${body.actor}`);
    await ctx.sendActivity(
      { identifier: NAME },
      target,
      new Follow({ id: new URL(`${origin}/follows/1`), actor: me, object: target.id }),
    );
    return { actor: plain(target.id), class: target.constructor.name, inbox: plain(target.inboxId) };
  }
  if (path === "/_control/quote") {
    // Mastodon-shaped: the quoting post embedded as `instrument`, the quoted post as `object`.
    const quoted = await ctx.lookupObject(body.object);
    const author = await ctx.lookupObject(quoted.attributionId);
    const post = new Note({
      id: new URL(`${origin}/notes/quote-1`),
      attribution: me,
      content: "<p>Layak dibaca.</p>",
      quote: quoted.id,
      to: PUBLIC_COLLECTION,
    });
    await ctx.sendActivity(
      { identifier: NAME },
      author,
      new QuoteRequest({
        id: new URL(`${origin}/quote-requests/1`),
        actor: me,
        object: quoted.id,
        instrument: post,
      }),
    );
    return { quoted: await describe(quoted) };
  }
  if (path === "/_control/lookup") {
    // Status as served, then what Fedify's vocabulary makes of it.
    const resp = await fetch(body.url, { headers: { Accept: "application/activity+json" } });
    let parsed = null;
    if (resp.ok) {
      const obj = await ctx.lookupObject(body.url);
      parsed = obj instanceof QuoteAuthorization ? { class: "QuoteAuthorization" } : await describe(obj);
    }
    return { status: resp.status, parsed };
  }
  throw new Error(`unknown control ${path}`);
}

const server = http.createServer(async (req, res) => {
  try {
    const body = await readBody(req);
    if (req.url.startsWith("/_control/")) {
      const out = await control(req.url, body.length ? JSON.parse(body) : {});
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(out));
      return;
    }
    if (req.method === "POST") {
      lastScheme = req.headers["signature-input"] ? "rfc9421" : req.headers.signature ? "cavage" : null;
      if (require9421 && lastScheme !== "rfc9421") {
        state.refusedForRfc9421 += 1;
        res.writeHead(401, { "content-type": "text/plain" });
        res.end("this inbox wants an RFC 9421 signature\n");
        return;
      }
    }
    const request = new Request(new URL(req.url, origin), {
      method: req.method,
      headers: req.headers,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
    });
    const response = await federation.fetch(request, { contextData: undefined });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (error) {
    state.errors.push(String(error?.stack ?? error));
    res.writeHead(500, { "content-type": "text/plain" });
    res.end(String(error));
  }
});

server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  origin = `http://127.0.0.1:${port}`;
  process.stdout.write(`${JSON.stringify({ listening: port })}\n`);
});
// The test closes stdin to stop us; never outlive it.
process.stdin.on("end", () => server.close(() => process.exit(0)));
process.stdin.resume();
