import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, envSchema, loadConfig, requireSettings } from '../src/config.ts';
import { PACKAGE_ROOT } from '../src/paths.ts';

const load = (env: Record<string, string>) => loadConfig(env as NodeJS.ProcessEnv, { envFile: false });

describe('config', () => {
  it('has working defaults with no settings at all', () => {
    const config = load({});
    assert.equal(config.milvus.mode, 'lite');
    assert.equal(config.milvus.collection, 'askdocs');
    assert.equal(config.llm.baseURL, 'https://api.deepseek.com');
    assert.equal(config.llm.model, 'deepseek-chat');
    assert.equal(config.embedding.provider, 'local');
    assert.equal(config.embedding.model, 'all-MiniLM-L6-v2-int8');
    assert.equal(config.llm.apiKey, undefined);
    assert.equal(config.embedding.threads, undefined);
    assert.equal(load({ EMBEDDING_THREADS: '3' }).embedding.threads, 3);
  });

  it('reports every invalid setting at once, by name', () => {
    const bad = {
      MILVUS_COLLECTION: 'bad-name!',
      LLM_BASE_URL: 'not a url',
      RETRIEVAL_TOP_K: 'many',
      EMBEDDING_PROVIDER: 'cohere',
      LOG_LEVEL: 'loud',
      QUESTION_LOG: 'sometimes',
      QUESTION_LOG_RETENTION_DAYS: '0',
      GAPS_CLUSTER_DISTANCE: 'far',
      GAPS_DIGEST_CHANNEL: '#docs-team',
      GAPS_DIGEST_CRON: '61 9 * * 1',
      GAPS_DIGEST_TIMEZONE: 'Mars/Olympus_Mons',
      GAPS_DIGEST_DAYS: '0',
      EMBEDDING_THREADS: '0',
    };
    assert.throws(
      () => load(bad),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const named = error.problems.map((problem) => problem.split(':')[0]).sort();
        assert.deepEqual(named, Object.keys(bad).sort());
        assert.match(error.userMessage, /MILVUS_COLLECTION/);
        return true;
      },
    );
  });

  it('a setting that does not parse hides no other problem: cross-setting checks and required settings come with it', () => {
    assert.throws(
      () =>
        loadConfig(
          { PORT: 'abc', CHUNK_OVERLAP_CHARS: '2000', EMBEDDING_PROVIDER: 'openai', SLACK_BOT_TOKEN: 'xoxb-1' } as NodeJS.ProcessEnv,
          {
            envFile: false,
            require: { names: ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET'], purpose: 'the Slack bot' },
          },
        ),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(error.problems, [
          'PORT: must be a whole number from 0 to 65535, got "abc"',
          'EMBEDDING_BASE_URL: required when EMBEDDING_PROVIDER=openai',
          'EMBEDDING_MODEL: required when EMBEDDING_PROVIDER=openai',
          'CHUNK_OVERLAP_CHARS: must be smaller than CHUNK_MAX_CHARS',
          'SLACK_SIGNING_SECRET: required for the Slack bot',
        ]);
        return true;
      },
    );
    // A setting that is set but invalid is reported once, as invalid, never also as missing.
    assert.throws(
      () => load({ EMBEDDING_PROVIDER: 'openai', EMBEDDING_BASE_URL: 'not a url', EMBEDDING_MODEL: 'm', CHUNK_MAX_CHARS: 'big' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.length === 2 &&
        error.problems[0]!.startsWith('EMBEDDING_BASE_URL: must be an http(s) URL') &&
        error.problems[1]!.startsWith('CHUNK_MAX_CHARS:'),
    );
  });

  it('says in plain words what a number setting takes and what it got', () => {
    assert.throws(
      () => load({ PORT: 'abc', RETRIEVAL_TOP_K: '2.5', LLM_TEMPERATURE: 'hot', EMBEDDING_THREADS: '0' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(error.problems, [
          'LLM_TEMPERATURE: must be a number from 0 to 2, got "hot"',
          'EMBEDDING_THREADS: must be a whole number from 1 to 256, got "0"',
          'RETRIEVAL_TOP_K: must be a whole number from 1 to 50, got "2.5"',
          'PORT: must be a whole number from 0 to 65535, got "abc"',
        ]);
        return true;
      },
    );
    const config = load({ PORT: '0', HEALTH_PORT: ' 8081 ', LLM_TEMPERATURE: '0.5', ABSTAIN_THRESHOLD: '-0.1' });
    assert.deepEqual(
      [config.slack.port, config.healthPort, config.llm.temperature, config.retrieval.abstainThreshold],
      [0, 8081, 0.5, -0.1],
    );
  });

  it('channel, server and application settings take ids, and say what an id looks like and where to find it', () => {
    const ids = load({
      SLACK_ALLOWED_CHANNELS: 'C0123ABCD, G0456EFGH',
      DISCORD_ALLOWED_CHANNELS: '1234567890123456789',
      DISCORD_GUILD_ID: ' 2234567890123456789 ',
      DISCORD_APPLICATION_ID: '3234567890123456789',
    });
    assert.deepEqual(ids.slack.allowedChannels, ['C0123ABCD', 'G0456EFGH']);
    assert.deepEqual(ids.discord.allowedChannels, ['1234567890123456789']);
    assert.equal(ids.discord.guildId, '2234567890123456789');
    assert.equal(ids.discord.applicationId, '3234567890123456789');
    assert.throws(
      () =>
        load({
          SLACK_ALLOWED_CHANNELS: '#docs-help,C0123ABCD,general',
          DISCORD_APPLICATION_ID: 'my app',
          DISCORD_GUILD_ID: 'general',
          DISCORD_ALLOWED_CHANNELS: '#general',
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(error.problems, [
          'SLACK_ALLOWED_CHANNELS: must be Slack channel ids, not #names (C0123ABCD: open the channel\'s details, the id is at the bottom), comma-separated, got "#docs-help", "general"',
          'DISCORD_APPLICATION_ID: must be the application id (a number of 15 to 21 digits: Developer Portal → your application → General Information → Application ID), got "my app"',
          'DISCORD_GUILD_ID: must be a server id, not its name (a number of 15 to 21 digits: right-click the server → Copy Server ID, with Developer Mode on), got "general"',
          'DISCORD_ALLOWED_CHANNELS: must be Discord channel ids, not #names (numbers of 15 to 21 digits: right-click the channel → Copy Channel ID, with Developer Mode on), comma-separated, got "#general"',
        ]);
        return true;
      },
    );
  });

  it('lists Milvus credentials given twice with the other problems, not at first connect', () => {
    assert.throws(
      () => load({ MILVUS_URI: 'http://u:pw@127.0.0.1:1', MILVUS_TOKEN: 'a:b', RETRIEVAL_TOP_K: '0' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(
          error.problems.map((problem) => problem.split(':')[0]),
          ['RETRIEVAL_TOP_K', 'MILVUS_URI'],
        );
        assert.match(error.problems[1]!, /MILVUS_TOKEN is set too/);
        assert.ok(!error.problems.join('\n').includes('pw'), 'the password is not repeated');
        return true;
      },
    );
    assert.throws(() => load({ MILVUS_URI: 'http://onlyuser@127.0.0.1:1' }), /MILVUS_URI: needs both a user name and a password/);
  });

  it('gaps digest: off by default, Monday 09:00 when only the channel is set, platform told by the id', () => {
    assert.equal(load({}).gaps.digest, undefined);
    assert.deepEqual(load({ GAPS_DIGEST_CHANNEL: 'C0123ABCD' }).gaps.digest, {
      channel: 'C0123ABCD',
      platform: 'slack',
      cron: '0 9 * * 1',
      timezone: undefined,
      windowDays: 7,
    });
    const discord = load({
      GAPS_DIGEST_CHANNEL: '1234567890123456789',
      GAPS_DIGEST_CRON: '30 8 * * 5',
      GAPS_DIGEST_TIMEZONE: 'Europe/Berlin',
      GAPS_DIGEST_DAYS: '14',
    }).gaps.digest;
    assert.deepEqual(discord, {
      channel: '1234567890123456789',
      platform: 'discord',
      cron: '30 8 * * 5',
      timezone: 'Europe/Berlin',
      windowDays: 14,
    });
  });

  it('gaps digest: a cron that never fires, and a schedule without a channel, are problems', () => {
    assert.throws(
      () => load({ GAPS_DIGEST_CHANNEL: 'C0123ABCD', GAPS_DIGEST_CRON: '0 0 30 2 *' }),
      (error: unknown) => error instanceof ConfigError && error.problems.join() === 'GAPS_DIGEST_CRON: never fires',
    );
    assert.throws(
      () => load({ GAPS_DIGEST_CRON: '0 9 * * 1', GAPS_DIGEST_TIMEZONE: 'UTC' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.length === 2 &&
        error.problems.every((p) => /^GAPS_DIGEST_(CRON|TIMEZONE): set GAPS_DIGEST_CHANNEL too/.test(p)),
    );
  });

  it('names the settings the OpenAI embedding provider needs', () => {
    assert.throws(
      () => load({ EMBEDDING_PROVIDER: 'openai' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.some((p) => p.startsWith('EMBEDDING_BASE_URL')) &&
        error.problems.some((p) => p.startsWith('EMBEDDING_MODEL')),
    );
  });

  it('treats http(s) MILVUS_URI as a server and paths as Milvus Lite', () => {
    assert.equal(load({ MILVUS_URI: 'http://milvus:19530' }).milvus.mode, 'server');
    assert.equal(load({ MILVUS_URI: 'https://in01.zillizcloud.com' }).milvus.mode, 'server');
    // As the SDK takes it: a scheme in capitals or a trailing slash would be read as part of the host name.
    assert.equal(load({ MILVUS_URI: 'HTTP://milvus:19530/' }).milvus.uri, 'http://milvus:19530');
    assert.equal(load({ MILVUS_URI: 'https://in01.zillizcloud.com:443' }).milvus.uri, 'https://in01.zillizcloud.com:443');
    const lite = load({ MILVUS_URI: './somewhere/db' });
    assert.equal(lite.milvus.mode, 'lite');
    assert.equal(lite.milvus.dataDir, resolve(process.cwd(), 'somewhere/db'));
    assert.equal(load({ MILVUS_URI: 'somewhere/db' }).milvus.dataDir, resolve(process.cwd(), 'somewhere/db'));
    assert.equal(load({ MILVUS_URI: '/srv/askdocs/milvus' }).milvus.dataDir, '/srv/askdocs/milvus');
    assert.equal(load({ MILVUS_URI: './name:with:colons' }).milvus.dataDir, resolve(process.cwd(), 'name:with:colons'));
    // As a shell would expand it, also where no shell does (.env, a quoted value); ~name stays a name.
    assert.equal(load({ MILVUS_URI: '~/askdocs/milvus' }).milvus.dataDir, join(homedir(), 'askdocs/milvus'));
    assert.equal(load({ FEEDBACK_DB: '~/askdocs/feedback.sqlite' }).feedbackDb, join(homedir(), 'askdocs/feedback.sqlite'));
    assert.equal(load({ MILVUS_URI: '~milvus' }).milvus.dataDir, resolve(process.cwd(), '~milvus'));
  });

  it('refuses a MILVUS_URI that is neither a folder nor an http(s) address, saying what works', () => {
    const accepts =
      'MILVUS_URI: must be a local folder for the embedded Milvus Lite (e.g. ./data/milvus) or a server address starting http:// or https:// (e.g. http://milvus:19530)';
    for (const [uri, problem] of [
      ['ftp://milvus.internal:19530', `${accepts}, got "ftp://milvus.internal:19530"`],
      ['grpc://127.0.0.1:19530', `${accepts}, got "grpc://127.0.0.1:19530"; for that server, write http://127.0.0.1:19530`],
      [
        'grpcs://milvus.example.com:443',
        `${accepts}, got "grpcs://milvus.example.com:443"; for that server, write https://milvus.example.com:443`,
      ],
      ['tcp://milvus:19530', `${accepts}, got "tcp://milvus:19530"; for that server, write http://milvus:19530`],
      ['localhost:19530', `${accepts}, got "localhost:19530"; for a server there, write http://localhost:19530`],
      ['grpc://root:secret@milvus:19530', `${accepts}, got "grpc://…@milvus:19530"; for that server, write http://milvus:19530`],
      ['root:secret@milvus:19530', `${accepts}, got "…@milvus:19530" (for a folder whose name holds ":", start it with ./)`],
      ['https://', 'MILVUS_URI: must be a server address such as http://milvus:19530 (a host, an optional port, no path), got "https://"'],
      [
        'http://milvus:19530/v1',
        'MILVUS_URI: must be a server address such as http://milvus:19530 (a host, an optional port, no path), got "http://milvus:19530/v1"',
      ],
    ]) {
      assert.throws(
        () => load({ MILVUS_URI: uri as string }),
        (error: unknown) => error instanceof ConfigError && error.problems.join('\n') === problem,
        uri,
      );
    }
  });

  it('lists a user name or password in an LLM or embedding base URL with the other problems, never echoing it', () => {
    assert.throws(
      () =>
        load({
          PORT: 'abc',
          EMBEDDING_PROVIDER: 'openai',
          EMBEDDING_MODEL: 'x',
          EMBEDDING_BASE_URL: 'http://u:EMBPW@127.0.0.1:9/v1',
          LLM_BASE_URL: 'https://a:LLMPW@api.example.com/v1',
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(
          error.problems.map((p) => p.split(':')[0]),
          ['PORT', 'LLM_BASE_URL', 'EMBEDDING_BASE_URL'],
        );
        assert.match(error.problems[1]!, /an API key goes in DEEPSEEK_API_KEY/);
        assert.doesNotMatch(error.problems.join('\n'), /EMBPW|LLMPW/);
        return true;
      },
    );
  });

  it('refuses a DOCS_BASE_URL with a query, a fragment or a password, listed with the other problems, never echoing the password', () => {
    const problemsOf = (url: string) => {
      try {
        load({ PORT: 'abc', DOCS_BASE_URL: url });
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        return error.problems;
      }
      assert.fail(`${url} was accepted`);
    };
    const because = "each link is this URL followed by the page's path";
    for (const [url, problem] of [
      ['https://docs.example.com/?lang=en', `must not have a query ("?…"): ${because}`],
      ['https://docs.example.com/docs/?', `must not have a query ("?…"): ${because}`],
      ['https://docs.example.com/docs#top', `must not have a fragment ("#…"): ${because}`],
      ['https://reader:DOCSPW@docs.example.com/', 'must not contain a user name or password: every link would show them in chat'],
      ['https://docs.example.com/{lang}/{path}', 'has a placeholder askdocs does not fill: {lang} (a link template takes {path} and {id})'],
    ]) {
      assert.deepEqual(problemsOf(url!), [`DOCS_BASE_URL: ${problem}`, 'PORT: must be a whole number from 0 to 65535, got "abc"'], url);
    }
    assert.doesNotMatch(problemsOf('https://reader:DOCSPW@docs.example.com/').join('\n'), /DOCSPW/);
    assert.equal(load({ DOCS_BASE_URL: 'https://docs.example.com/milvus/' }).ingest.docsBaseUrl, 'https://docs.example.com/milvus/');
    assert.equal(load({ DOCS_BASE_URL: 'https://milvus.io/docs/{id}' }).ingest.docsBaseUrl, 'https://milvus.io/docs/{id}');
  });

  it('demands front-end settings only when that front end starts, naming each missing one', () => {
    const config = load({ SLACK_BOT_TOKEN: 'xoxb-123456' });
    assert.throws(
      () => requireSettings(config, ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'DISCORD_TOKEN'], 'the bots'),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.length === 2 &&
        error.problems[0]!.startsWith('SLACK_SIGNING_SECRET') &&
        error.problems[1]!.startsWith('DISCORD_TOKEN'),
    );
  });

  it('reads .env, and the real environment wins over it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'askdocs-env-'));
    writeFileSync(join(dir, '.env'), 'LLM_MODEL=from-file\nMILVUS_COLLECTION=from_file\n');
    const config = loadConfig({ LLM_MODEL: 'from-env' } as NodeJS.ProcessEnv, { cwd: dir });
    assert.equal(config.llm.model, 'from-env');
    assert.equal(config.milvus.collection, 'from_file');
  });

  it('.env: a value cut at an unquoted "#" is a problem by name (never echoed); quoted, it is read whole', () => {
    const dir = mkdtempSync(join(tmpdir(), 'askdocs-env-'));
    writeFileSync(
      join(dir, '.env'),
      [
        'SLACK_ALLOWED_CHANNELS=#general',
        'GAPS_DIGEST_CHANNEL=#gaps',
        'MILVUS_TOKEN=root:pa#ss9secret',
        'PORT=3000 # a comment after a space is one',
        'LLM_MODEL="two',
        'lines # inside quotes"',
        'OTHER_TOOL_COLOR=#fff',
      ].join('\n'),
    );
    const problems = (env: Record<string, string> = {}) => {
      try {
        loadConfig(env as NodeJS.ProcessEnv, { cwd: dir, onWarning: () => {} });
        return [];
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        assert.ok(!error.message.includes('ss9secret'), error.message);
        return error.problems;
      }
    };
    const cut = (name: string, line: number) =>
      `${name}: in .env (line ${line}) an unquoted "#" starts a comment, so the value was cut there: put it in quotes, ${name}="…"`;
    assert.deepEqual(problems(), [cut('SLACK_ALLOWED_CHANNELS', 1), cut('GAPS_DIGEST_CHANNEL', 2), cut('MILVUS_TOKEN', 3)]);
    // Set in the environment, the .env line is not what askdocs reads.
    assert.deepEqual(problems({ MILVUS_TOKEN: 'root:Milvus' }), [cut('SLACK_ALLOWED_CHANNELS', 1), cut('GAPS_DIGEST_CHANNEL', 2)]);

    writeFileSync(join(dir, '.env'), 'SLACK_ALLOWED_CHANNELS="#general"\nMILVUS_TOKEN=\'root:pa#ss\'\nPORT=3000 # comment\n');
    assert.deepEqual(problems(), [
      'SLACK_ALLOWED_CHANNELS: must be Slack channel ids, not #names (C0123ABCD: open the channel\'s details, the id is at the bottom), comma-separated, got "#general"',
    ]);
    const config = loadConfig({ SLACK_ALLOWED_CHANNELS: 'C0123ABCD' } as NodeJS.ProcessEnv, { cwd: dir, onWarning: () => {} });
    assert.equal(config.milvus.token, 'root:pa#ss');
    assert.equal(config.slack.port, 3000);
  });

  it(".env: warns of a misspelled setting and a line dotenv skips, is silent on other tools' names; a bare setting name is a problem", () => {
    const dir = mkdtempSync(join(tmpdir(), 'askdocs-env-'));
    writeFileSync(
      join(dir, '.env'),
      [
        '# askdocs',
        'SLACK_ALLOWED_CHANNEL=C0123ABCD',
        'RETREIVAL_TOP_K=8',
        'export ASKDOCS_LOG_LEVEL=debug',
        'just some words',
        '',
        'HOST=0.0.0.0',
        'POSTGRES_PASSWORD=x',
        'NODE_ENV=production',
        'COMPOSE_PROJECT_NAME=docs',
      ].join('\n'),
    );
    const warnings: string[] = [];
    const config = loadConfig({} as NodeJS.ProcessEnv, { cwd: dir, onWarning: (warning) => warnings.push(warning) });
    assert.deepEqual(config.slack.allowedChannels, []);
    assert.deepEqual(warnings, [
      '.env line 2: SLACK_ALLOWED_CHANNEL is not an askdocs setting and is ignored; did you mean SLACK_ALLOWED_CHANNELS?',
      '.env line 3: RETREIVAL_TOP_K is not an askdocs setting and is ignored; did you mean RETRIEVAL_TOP_K?',
      '.env line 4: ASKDOCS_LOG_LEVEL is not an askdocs setting and is ignored; did you mean LOG_LEVEL?',
      '.env line 5 is not NAME=value, a comment or a blank line; it is skipped',
    ]);

    writeFileSync(join(dir, '.env'), 'SLACK_ALLOWED_CHANNELS\nPORT=abc\n');
    assert.throws(
      () => loadConfig({} as NodeJS.ProcessEnv, { cwd: dir, onWarning: () => {} }),
      (error: unknown) =>
        error instanceof ConfigError &&
        assert.deepEqual(error.problems, [
          'PORT: must be a whole number from 0 to 65535, got "abc"',
          'SLACK_ALLOWED_CHANNELS: .env line 1 has no "=", so it is skipped: write SLACK_ALLOWED_CHANNELS=value',
        ]) === undefined,
    );
  });

  it('documents every setting in .env.example, and nothing else', () => {
    const example = readFileSync(join(PACKAGE_ROOT, '.env.example'), 'utf8');
    const documented = [...example.matchAll(/^([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]).sort();
    assert.deepEqual(documented, Object.keys(envSchema.shape).sort());
  });
});
