// Writes the GPT-2 token-id files that embedding-cli and its test read:
//   sentences.txt  the demo sentences below, one sentence per line
//   gpl3_ids.txt   the GNU GPL version 3 text, in sequences of 1024 ids
// Ids come from the npm package gpt-3-encoder, a JavaScript port of the
// GPT-2 byte-pair encoder (vocabulary of 50257 tokens).
//
// To rerun from the repository root (node_modules stays outside the repo):
//   mkdir -p /tmp/tok && (cd /tmp/tok && npm install gpt-3-encoder)
//   NODE_PATH=/tmp/tok/node_modules node tests/data/make_token_ids.js
// The license text is /usr/share/common-licenses/GPL-3 from Debian's
// base-files package; its SHA-256 is written into gpl3_ids.txt.
//
// File format: one sequence per line, ids separated by spaces. Lines that
// start with '#' are comments. In sentences.txt the comment line directly
// above a sequence holds its text, which embedding-cli prints as a label.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { encode, decode } = require('gpt-3-encoder');
const encoderVersion = require('gpt-3-encoder/package.json').version;

const SEQUENCE_LENGTH = 1024;
const LICENSE_PATH = '/usr/share/common-licenses/GPL-3';

// Each sentence is encoded with a leading space, as a word inside running
// text is. GPT-2's byte-pair encoding gives "Bob" and " Bob" different ids.
// Without the space, the first word of a sentence would get another token
// than the same word at the end. The word-order pair below would then no
// longer use the same ids.
const SENTENCES = [
    'Alice a tué Bob',
    'Bob a tué Alice',
    'the cat saw the dog and the bird',
    'The quick brown fox jumps over the lazy dog.',
    'Embeddings turn token ids into vectors.',
];

function encodeSentence(text) {
    const ids = encode(' ' + text);
    if (decode(ids) !== ' ' + text)
        throw new Error(`encoding of "${text}" does not decode back`);
    return ids;
}

function sortedKey(ids) {
    return [...ids].sort((a, b) => a - b).join(' ');
}

// Checks the properties the demo relies on, so a different encoder version
// fails here instead of printing a misleading demo.
function checkDemoProperties(encoded) {
    const alice = encoded[SENTENCES.indexOf('Alice a tué Bob')];
    const bob = encoded[SENTENCES.indexOf('Bob a tué Alice')];
    if (sortedKey(alice) !== sortedKey(bob) || alice.join(' ') === bob.join(' '))
        throw new Error('the Alice/Bob sentences are not a permutation of the same ids');

    const cat = encoded[SENTENCES.indexOf('the cat saw the dog and the bird')];
    if (new Set(cat).size === cat.length)
        throw new Error('no token id recurs in the cat sentence');
}

function writeSentences(directory) {
    const encoded = SENTENCES.map(encodeSentence);
    checkDemoProperties(encoded);

    const lines = [
        '# GPT-2 token ids of the embedding-cli demo sentences, one per line.',
        `# Written by make_token_ids.js with gpt-3-encoder ${encoderVersion}.`,
        '# Each sentence is encoded with a leading space, as inside running text.',
        '# The comment line above each sequence holds its text.',
        '',
    ];
    SENTENCES.forEach((text, i) => {
        lines.push(`# ${text}`);
        lines.push(encoded[i].join(' '));
    });
    fs.writeFileSync(path.join(directory, 'sentences.txt'), lines.join('\n') + '\n');
}

function writeLicense(directory) {
    const bytes = fs.readFileSync(LICENSE_PATH);
    const text = bytes.toString('utf8');
    const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
    const ids = encode(text);
    if (decode(ids) !== text)
        throw new Error(`encoding of ${LICENSE_PATH} does not decode back`);

    const count = Math.floor(ids.length / SEQUENCE_LENGTH);
    const dropped = ids.length - count * SEQUENCE_LENGTH;
    const lines = [
        `# GPT-2 token ids of ${LICENSE_PATH} (Debian base-files),`,
        `# SHA-256 ${sha256}.`,
        `# Written by make_token_ids.js with gpt-3-encoder ${encoderVersion}.`,
        `# ${ids.length} ids cut into ${count} sequences of ${SEQUENCE_LENGTH};`,
        `# the last ${dropped} ids, a partial sequence, are dropped.`,
        '',
    ];
    for (let i = 0; i < count; i++) {
        const sequence = ids.slice(i * SEQUENCE_LENGTH, (i + 1) * SEQUENCE_LENGTH);
        lines.push(sequence.join(' '));
    }
    fs.writeFileSync(path.join(directory, 'gpl3_ids.txt'), lines.join('\n') + '\n');
    return { count, dropped };
}

function main() {
    const directory = __dirname;
    writeSentences(directory);
    const { count, dropped } = writeLicense(directory);
    console.log(`wrote sentences.txt (${SENTENCES.length} sentences) and ` +
                `gpl3_ids.txt (${count} x ${SEQUENCE_LENGTH} ids, ${dropped} dropped)`);
}

main();
