/**
 * What the CLI says about the embedded engine's data folder when it is not usable:
 * missing (a read-only command run in the wrong folder, a mistyped MILVUS_URI),
 * damaged, read-only, another user's, or on a full disk. One line that says what is
 * wrong and what to do, never the engine's own log line, no "run it again" where a
 * re-run cannot help, and nothing created or deleted that the user did not ask for.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statfsSync, statSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from './support/retrieval-fixture.ts';

const isRoot = process.getuid?.() === 0;

/** Runs `mount` (root only); false when the system refuses (a container without the capability). */
function tryMount(args: string[]): boolean {
  try {
    execFileSync('mount', args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('the embedded engine data folder, as the CLI reports it', { timeout: 240_000 }, () => {
  let work: string;
  let docs: string;
  /** A data folder holding an ingested index, copied by each test that spoils one. */
  let ingested: string;
  const mounts: string[] = [];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'askdocs-data-folder-'));
    await chmod(work, 0o755);
    docs = join(work, 'docs');
    await mkdir(docs);
    await writeFile(join(docs, 'a.md'), '# Collections\n\nA collection holds entities. Create one with create_collection().\n');
    ingested = join(work, 'ingested');
    const run = await runCli(['ingest', docs], { MILVUS_URI: ingested }, { cwd: work });
    assert.equal(run.code, 0, run.stderr);
  });
  after(async () => {
    for (const mount of mounts.reverse()) {
      try {
        execFileSync('umount', ['-l', mount], { stdio: 'ignore' });
      } catch {
        // Already gone.
      }
    }
    await rm(work, { recursive: true, force: true });
  });

  async function copyOfIndex(name: string): Promise<string> {
    const dir = join(work, name);
    await cp(ingested, dir, { recursive: true });
    await rm(join(dir, 'askdocs-engine.lock'), { force: true });
    return dir;
  }

  it('ask, eval, gaps and chat where nothing is ingested say where they looked, and make no folder or database', async () => {
    const sub = join(work, 'sub');
    await mkdir(sub);
    const ask = await runCli(['ask', 'what is milvus'], {}, { cwd: sub });
    assert.equal(ask.code, 1);
    assert.equal(
      ask.stderr,
      `askdocs: Nothing is ingested yet in ${join(sub, 'data/milvus')} (MILVUS_URI): run \`askdocs ingest <docs folder>\` first.\n`,
    );
    assert.deepEqual(readdirSync(sub), [], 'ask made nothing where it ran');

    const mistyped = join(work, 'mistyped', 'milvus');
    const evalSet = join(work, 'set.jsonl');
    await writeFile(
      evalSet,
      `${JSON.stringify({ id: 'q1', kind: 'single', question: 'what is a collection?', expected: [{ path: 'a.md', heading: 'Collections' }], answer_keywords: [] })}\n`,
    );
    const nothing = `askdocs: Nothing is ingested yet in ${mistyped} (MILVUS_URI): run \`askdocs ingest <docs folder>\` first.\n`;
    const evalRun = await runCli(['eval', '--set', evalSet], { MILVUS_URI: mistyped }, { cwd: sub });
    assert.equal(evalRun.code, 1, evalRun.stderr);
    assert.equal(evalRun.stderr, nothing);
    const gaps = await runCli(['gaps'], { MILVUS_URI: mistyped }, { cwd: sub });
    assert.equal(gaps.code, 1, gaps.stderr);
    assert.equal(gaps.stderr, nothing);
    const chat = await runCli(['chat'], { MILVUS_URI: mistyped }, { cwd: sub });
    assert.equal(chat.code, 1, chat.stderr);
    assert.equal(chat.stderr, nothing);
    assert.ok(!existsSync(join(work, 'mistyped')), 'eval, gaps and chat made no folder');
    assert.deepEqual(readdirSync(sub), []);

    // An existing, empty folder (made for the index ahead of time): nothing is added to it.
    const empty = join(work, 'empty');
    await mkdir(empty);
    const askEmpty = await runCli(['ask', 'what is milvus'], { MILVUS_URI: empty }, { cwd: sub });
    assert.equal(
      askEmpty.stderr,
      `askdocs: Nothing is ingested yet in ${empty} (MILVUS_URI): run \`askdocs ingest <docs folder>\` first.\n`,
    );
    assert.deepEqual(readdirSync(empty), [], 'no milvus.db or lock file');

    // ingest is what makes the folder; after it, ask answers from it and its question is logged.
    const ingest = await runCli(['ingest', docs], { MILVUS_URI: mistyped }, { cwd: sub });
    assert.equal(ingest.code, 0, ingest.stderr);
    assert.ok(existsSync(join(mistyped, 'milvus.db')));
    const answer = await runCli(['ask', '--json', 'how do I create a collection?'], { MILVUS_URI: mistyped }, { cwd: sub });
    assert.equal(answer.code, 0, answer.stderr);
    assert.match(answer.stdout, /"path": "a\.md"/);
    const logged = await runCli(['gaps', '--json', '--min-size', '1'], { MILVUS_URI: mistyped }, { cwd: sub });
    assert.equal(logged.code, 0, logged.stderr);
    assert.doesNotMatch(logged.stderr, /no questions logged yet/);
  });

  it('an engine that cannot start says its short reason, not its log line', async () => {
    const dir = join(work, 'db-is-a-folder');
    await mkdir(join(dir, 'milvus.db'), { recursive: true });
    const run = await runCli(['ask', 'what is a collection?'], { MILVUS_URI: dir }, { cwd: work });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^askdocs: The embedded Milvus engine exited while starting \(exit code \S+: "[^"]+"\)\.\n$/);
    assert.doesNotMatch(run.stderr, /\.cpp:\d+|E20\d\d/);
  });

  it('a data file cut short: says it is damaged, to move it aside and re-ingest; the file is kept as it was', async () => {
    const dir = await copyOfIndex('truncated');
    const db = join(dir, 'milvus.db');
    execFileSync('truncate', ['-s', '8192', db]);
    for (const args of [
      ['ingest', docs],
      ['ask', 'what is a collection?'],
    ]) {
      const run = await runCli(args, { MILVUS_URI: dir }, { cwd: work });
      assert.equal(run.code, 1);
      assert.match(
        run.stderr,
        new RegExp(
          `^askdocs: The Milvus data file ${db} is damaged \\(cut short: 8192 of its \\d+ bytes\\)\\. Move it aside \\(e\\.g\\. mv ${db} ${db}\\.damaged; askdocs never deletes it\\), then run \`askdocs ingest <docs folder>\` to build the index again\\.\\n$`,
        ),
      );
      assert.doesNotMatch(run.stderr, /server\.cpp|Init milvus|resumes/);
    }
    assert.equal(statSync(db).size, 8192, 'the damaged file is left for the user');
  });

  it('random bytes in the middle of the data file: a search says the file is damaged, not "answered without results"', async () => {
    const dir = await copyOfIndex('scrambled');
    const db = join(dir, 'milvus.db');
    const size = statSync(db).size;
    const file = await open(db, 'r+');
    // Deterministic garbage over the second half of the pages (the header stays sound).
    const garbage = Buffer.alloc(Math.floor(size / 2), 0);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) % 251;
    await file.write(garbage, 0, garbage.length, size - garbage.length);
    await file.close();
    const run = await runCli(['ask', 'how do I create a collection?'], { MILVUS_URI: dir }, { cwd: work });
    assert.equal(run.code, 1, run.stdout);
    assert.match(
      run.stderr,
      /^askdocs: The Milvus data file .*scrambled\/milvus\.db is damaged \(the engine reports "database disk image is malformed"\)\. Move it aside .*to build the index again\.\n$/,
    );
  });

  it('a data folder on a read-only mount: says so, without the engine log or a resume hint', {
    skip: isRoot ? false : 'needs root to mount',
  }, async (t) => {
    const dir = await copyOfIndex('source-ro');
    const mount = join(work, 'readonly');
    await mkdir(mount);
    if (!tryMount(['--bind', dir, mount])) return t.skip('mount --bind is refused here');
    mounts.push(mount);
    if (!tryMount(['-o', 'remount,bind,ro', mount])) return t.skip('a read-only remount is refused here');
    for (const args of [
      ['ingest', docs],
      ['ask', 'what is a collection?'],
    ]) {
      const run = await runCli(args, { MILVUS_URI: mount }, { cwd: work });
      assert.equal(run.code, 1);
      assert.equal(
        run.stderr,
        `askdocs: The Milvus data folder ${mount} (MILVUS_URI) is on a read-only file system (EROFS), and the embedded engine must write there even to answer questions: make it writable for this user, or point MILVUS_URI at another folder or an http(s):// Milvus server.\n`,
      );
    }
  });

  it("another user's data folder: says it is not writable by this user", {
    skip: isRoot ? false : 'needs root to run as another user',
  }, async () => {
    const dir = await copyOfIndex('others');
    await chmod(dir, 0o755);
    const run = await runCli(['ingest', docs], { MILVUS_URI: dir, HOME: work }, { cwd: work, uid: 65534, gid: 65534 });
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      `askdocs: The Milvus data folder ${dir} (MILVUS_URI) is not writable by this user (EACCES), and the embedded engine must write there even to answer questions: make it writable for this user, or point MILVUS_URI at another folder or an http(s):// Milvus server.\n`,
    );
  });

  it('an ingest on a full disk says the disk is full, instead of an RPC error or a success that lost the chunks; freed, it resumes', {
    skip: isRoot ? false : 'needs root to mount',
  }, async (t) => {
    const more = join(work, 'more-docs');
    await mkdir(more);
    for (let i = 0; i < 20; i++) {
      const words = Array.from({ length: 400 }, (_, j) => `term${i}x${j}`).join(' ');
      await writeFile(join(more, `page${i}.md`), `# Page ${i}\n\n${words}\n`);
    }
    // About 100 KB free: the engine fails the write. About 800 KB: the engine logs "database
    // or disk is full" for the upsert's BM25 statistics yet answers it with success, and
    // without askdocs watching its output the ingest reported success with chunks lost.
    for (const freeKb of [100, 800]) {
      const mount = join(work, `small-disk-${freeKb}`);
      await mkdir(mount);
      if (!tryMount(['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mount])) return t.skip('mounting a tmpfs is refused here');
      mounts.push(mount);
      const dir = join(mount, 'milvus');
      await cp(ingested, dir, { recursive: true });
      await rm(join(dir, 'askdocs-engine.lock'), { force: true });
      const { bavail, bsize } = statfsSync(mount);
      const filler = join(mount, 'filler');
      await writeFile(filler, Buffer.alloc(Math.max(0, bavail * bsize - freeKb * 1024)));
      const run = await runCli(['ingest', '--prune', more], { MILVUS_URI: dir }, { cwd: work });
      assert.equal(run.code, 1, `${freeKb} KB free: ${run.stdout}`);
      assert.match(
        run.stderr,
        /^askdocs: The disk holding the Milvus data folder .*small-disk-\d+\/milvus is full \(\d+ KB free\): free some space on it, then run the ingest again \(it resumes where it stopped\)\.\n$/,
      );
      // Space freed, the ingest finishes what is missing; a further run finds nothing to do.
      await rm(filler);
      const resumed = await runCli(['ingest', '--prune', more], { MILVUS_URI: dir }, { cwd: work });
      assert.equal(resumed.code, 0, resumed.stderr);
      const again = await runCli(['ingest', more], { MILVUS_URI: dir }, { cwd: work });
      assert.equal(again.code, 0, again.stderr);
      assert.match(
        `${again.stdout}${again.stderr}`,
        /Ingested 20 files \(0 added, 0 changed, 20 unchanged, 0 removed\): 80 chunks, 0 embedded/,
      );
    }
  });
});
