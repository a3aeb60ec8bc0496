// The Node peer of bench/run: Discord's own sample stack for an interactions endpoint
// (Express 4 + discord-interactions' verifyKeyMiddleware, as in Discord's example app),
// answering a signed PING. It is what our signed-PING numbers are compared with.
//
// PUBLIC_KEY: the application's Ed25519 public key (hex). PORT: where to listen on
// 127.0.0.1 (0 picks a free port). Prints "listening 127.0.0.1:<port>" once ready.
'use strict';

const express = require('express');
const {
  InteractionResponseType,
  InteractionType,
  verifyKeyMiddleware,
} = require('discord-interactions');

const publicKey = process.env.PUBLIC_KEY;
if (!publicKey) {
  console.error('PUBLIC_KEY is required');
  process.exit(2);
}

const app = express();

app.post('/discord/interactions', verifyKeyMiddleware(publicKey), (req, res) => {
  // verifyKeyMiddleware answers PING itself; this is the sample's handler for the rest.
  if (req.body.type === InteractionType.PING) {
    return res.send({ type: InteractionResponseType.PONG });
  }
  return res.status(400).json({ error: 'unknown interaction type' });
});

const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  const { address, port } = server.address();
  console.log(`listening ${address}:${port}`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
