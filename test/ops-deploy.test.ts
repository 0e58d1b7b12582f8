/**
 * The deployment files, checked without Docker or a cluster: they parse, every
 * setting they give askdocs is one askdocs reads, every image is pinned, the
 * probes and health checks point at endpoints askdocs serves, and the image holds
 * what the code needs.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { envSchema, isServerUri } from '../src/config.ts';
import { HEALTH_PATHS } from '../src/observability/health-server.ts';
import { PACKAGE_ROOT } from '../src/paths.ts';
import {
  composeHealthcheckUrl,
  DEPLOY_DIR,
  dockerHealthcheckCommand,
  loadCompose,
  loadDockerfile,
  loadKubernetes,
  podSpecOf,
  readYaml,
  type Yaml,
} from './support/ops-deploy-files.ts';

const SETTINGS = new Set(Object.keys(envSchema.shape));
const DEFAULT_SHUTDOWN_TIMEOUT_MS = envSchema.shape.SHUTDOWN_TIMEOUT_MS.parse(undefined) as number;
const SECRET_SETTING = /TOKEN|KEY|SECRET|PASSWORD/;
const HEALTH_PATH_VALUES = Object.values(HEALTH_PATHS) as string[];

/** `repo/name:tag` with an explicit, non-floating tag (or a digest). */
function assertPinned(image: string, where: string): void {
  if (/@sha256:[a-f0-9]{64}$/.test(image)) return;
  const tag = /:([^/:]+)$/.exec(image)?.[1];
  assert.ok(tag, `${where}: image ${image} has no tag`);
  assert.ok(!/^(latest|stable|main|master|edge|nightly)$/.test(tag), `${where}: image ${image} uses a floating tag`);
  assert.match(tag, /\d/, `${where}: image ${image} tag names no version`);
}

function assertMilvusWithBm25(tag: string, where: string): void {
  const [major, minor] = (/^v?(\d+)\.(\d+)\.\d+/.exec(tag)?.slice(1) ?? []).map(Number);
  assert.ok(major !== undefined && minor !== undefined, `${where}: Milvus tag ${tag} is not a release`);
  assert.ok(major > 2 || (major === 2 && minor >= 5), `${where}: Milvus ${tag} predates BM25 full-text search (2.5)`);
}

function parseDuration(text: string): number {
  const match = /^(\d+)(ms|s|m)$/.exec(text);
  assert.ok(match, `unparseable duration ${text}`);
  return Number(match[1]) * { ms: 1, s: 1_000, m: 60_000 }[match[2] as 'ms' | 's' | 'm'];
}

describe('docker-compose.yml', () => {
  const { file, services } = loadCompose();
  const byName = new Map(services.map((s) => [s.name, s]));
  const askdocsServices = services.filter((s) => s.build !== undefined || s.image?.startsWith('askdocs'));

  test('runs the bots (chosen by profile), a one-shot ingest, and Milvus standalone with etcd and MinIO', () => {
    assert.deepEqual(askdocsServices.map((s) => s.name).sort(), ['discord', 'ingest', 'slack']);
    for (const name of ['slack', 'discord', 'ingest']) {
      assert.deepEqual(byName.get(name)?.profiles, [name], `${name} is enabled by COMPOSE_PROFILES`);
    }
    assert.deepEqual(byName.get('slack')?.command, ['slack']);
    assert.deepEqual(byName.get('discord')?.command, ['discord']);
    assert.deepEqual(byName.get('ingest')?.command, ['ingest', '/docs']);
    assert.equal((byName.get('ingest') as Yaml).restart, 'no');
    assert.ok(byName.get('etcd') && byName.get('minio') && byName.get('milvus'));
    assert.deepEqual(byName.get('milvus')?.command, ['milvus', 'run', 'standalone']);
  });

  test('every image is pinned, and Milvus is a release with BM25', () => {
    for (const service of services) {
      assert.ok(service.image, `${service.name} names its image`);
      assertPinned(service.image, `service ${service.name}`);
    }
    assertMilvusWithBm25(byName.get('milvus')!.image!.split(':')[1]!, 'compose milvus');
  });

  test('askdocs gets only settings it reads, secrets only through the env file', () => {
    for (const service of askdocsServices) {
      for (const key of Object.keys(service.environment ?? {})) {
        assert.ok(SETTINGS.has(key), `${service.name} sets ${key}, which askdocs does not read`);
        assert.doesNotMatch(key, SECRET_SETTING, `${service.name} puts secret ${key} in the compose file`);
      }
      const envFiles = (service.env_file ?? []).map((entry) => (typeof entry === 'string' ? entry : entry.path));
      assert.deepEqual(envFiles, ['.env'], `${service.name} reads secrets from deploy/.env`);
      const uri = service.environment?.MILVUS_URI ?? '';
      assert.ok(isServerUri(uri), `${service.name}: MILVUS_URI ${uri} must name the Milvus server`);
      assert.equal(new URL(uri).hostname, 'milvus');
      assert.equal(new URL(uri).port, '19530');
    }
  });

  test('health checks: the bots probe their own health port, the dependencies theirs', () => {
    for (const service of services) {
      if (service.name === 'ingest') {
        assert.equal(service.healthcheck?.disable, true, 'a one-shot job has no health endpoint');
        continue;
      }
      assert.ok(Array.isArray(service.healthcheck?.test), `${service.name} has an exec-form healthcheck`);
    }
    for (const service of askdocsServices.filter((s) => s.name !== 'ingest')) {
      const url = composeHealthcheckUrl(service);
      assert.equal(url.port, service.environment?.HEALTH_PORT, `${service.name} probes HEALTH_PORT`);
      assert.ok(HEALTH_PATH_VALUES.includes(url.pathname), `${service.name} probes ${url.pathname}`);
      assert.ok(
        parseDuration(service.stop_grace_period ?? '10s') > DEFAULT_SHUTDOWN_TIMEOUT_MS,
        `${service.name}: stop_grace_period must exceed SHUTDOWN_TIMEOUT_MS so answers in flight finish`,
      );
      assert.deepEqual((service as Yaml).depends_on, {
        milvus: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
      });
    }
    assert.deepEqual((byName.get('milvus') as Yaml).depends_on, {
      etcd: { condition: 'service_healthy' },
      minio: { condition: 'service_healthy' },
    });
  });

  test('state lives in named volumes that are declared', () => {
    const declared = new Set(Object.keys(file.volumes ?? {}));
    for (const name of ['etcd', 'minio', 'milvus', 'redis', 'slack', 'discord']) {
      const named = (byName.get(name)?.volumes ?? []).map((v) => v.split(':')[0]!).filter((src) => !/^[.$/~]/.test(src));
      assert.ok(named.length > 0, `${name} keeps its data in a named volume`);
      for (const volume of named) assert.ok(declared.has(volume), `${name}: volume ${volume} is declared`);
    }
  });

  test('the bots share claims, limits and feedback in a Redis that keeps them (AOF, no eviction)', () => {
    const redis = byName.get('redis') as Yaml;
    assertDurableRedis(redis.command as string[], 'compose redis');
    for (const service of askdocsServices) {
      const url = new URL(service.environment?.REDIS_URL ?? '');
      assert.equal(url.protocol, 'redis:', `${service.name} REDIS_URL`);
      assert.equal(url.hostname, 'redis');
      assert.equal(service.environment?.FEEDBACK_DB, 'redis', `${service.name}: feedback in the shared Redis`);
    }
  });
});

/** Feedback lives in Redis: it must persist (AOF) and never evict keys to make room. */
function assertDurableRedis(args: string[], where: string): void {
  const option = (name: string) => args[args.indexOf(`--${name}`) + 1];
  assert.equal(option('appendonly'), 'yes', `${where}: appendonly`);
  assert.equal(option('maxmemory-policy'), 'noeviction', `${where}: maxmemory-policy`);
}

describe('Kubernetes manifests', () => {
  const k8s = loadKubernetes();
  const configMap = k8s.documents.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'askdocs-config');
  const workloads = k8s.documents.filter((d) => podSpecOf(d));
  const askdocsContainers = workloads.flatMap((w) =>
    (podSpecOf(w).containers as Yaml[]).filter((c) => c.image === 'askdocs').map((c) => ({ workload: w, container: c })),
  );

  test('a ConfigMap of settings, the bots as Deployments, ingest as a CronJob', () => {
    assert.ok(configMap);
    assert.deepEqual(workloads.map((w) => `${w.kind}/${w.metadata.name}`).sort(), [
      'CronJob/askdocs-ingest',
      'Deployment/askdocs-slack',
      'StatefulSet/askdocs-discord',
      'StatefulSet/askdocs-redis',
    ]);
    assert.deepEqual(askdocsContainers.map(({ workload, container }) => [workload.metadata.name, container.args[0]]).sort(), [
      ['askdocs-discord', 'discord'],
      ['askdocs-ingest', 'ingest'],
      ['askdocs-slack', 'slack'],
    ]);
  });

  test('every setting in the ConfigMap, the containers and the example Secret is one askdocs reads', () => {
    for (const key of Object.keys(configMap.data)) {
      assert.ok(SETTINGS.has(key), `ConfigMap sets ${key}, which askdocs does not read`);
      assert.doesNotMatch(key, SECRET_SETTING, `ConfigMap holds secret ${key}`);
    }
    const secret = readYaml('kubernetes/secret.example.yaml');
    for (const key of Object.keys(secret.stringData)) assert.ok(SETTINGS.has(key), `Secret key ${key} is not a setting`);
    for (const { workload, container } of askdocsContainers) {
      for (const { name } of container.env ?? []) assert.ok(SETTINGS.has(name), `${workload.metadata.name} sets ${name}`);
      assert.deepEqual(container.envFrom, [{ configMapRef: { name: 'askdocs-config' } }, { secretRef: { name: secret.metadata.name } }]);
    }
    assert.ok(
      isServerUri(configMap.data.MILVUS_URI),
      'MILVUS_URI names a Milvus server (the embedded engine is for one host, not a cluster)',
    );
  });

  test('every image is pinned', () => {
    const images = k8s.kustomization.images as { name: string; newName: string; newTag: string }[];
    const askdocsImage = images.find((i) => i.name === 'askdocs');
    assert.ok(askdocsImage, 'kustomization.yaml pins the askdocs image');
    assertPinned(`${askdocsImage.newName}:${askdocsImage.newTag}`, 'kustomization images');
    for (const workload of workloads) {
      const spec = podSpecOf(workload);
      for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
        if (container.image === 'askdocs') continue;
        assertPinned(container.image, `${workload.metadata.name}/${container.name}`);
      }
    }
  });

  test('probes hit askdocs health endpoints on the port HEALTH_PORT names', () => {
    const healthPort = Number(configMap.data.HEALTH_PORT);
    for (const { workload, container } of askdocsContainers) {
      if (workload.kind === 'CronJob') continue;
      const name = workload.metadata.name;
      const ports = new Map((container.ports as { name: string; containerPort: number }[]).map((p) => [p.name, p.containerPort]));
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        const httpGet = container[probe]?.httpGet;
        assert.ok(httpGet, `${name} has a ${probe}`);
        const port = typeof httpGet.port === 'number' ? httpGet.port : ports.get(httpGet.port);
        assert.equal(port, healthPort, `${name} ${probe} targets HEALTH_PORT`);
      }
      assert.equal(container.livenessProbe.httpGet.path, HEALTH_PATHS.liveness);
      assert.equal(container.startupProbe.httpGet.path, HEALTH_PATHS.liveness);
      assert.equal(container.readinessProbe.httpGet.path, HEALTH_PATHS.readiness);
      assert.equal(workload.spec.template.metadata.annotations['prometheus.io/port'], String(healthPort));
      assert.equal(workload.spec.template.metadata.annotations['prometheus.io/path'], HEALTH_PATHS.metrics);
    }
  });

  test('pods drain before they are killed, run unprivileged, and have resource requests and limits', () => {
    const shutdownMs = Number(configMap.data.SHUTDOWN_TIMEOUT_MS);
    for (const workload of workloads) {
      const spec = podSpecOf(workload);
      const name = workload.metadata.name;
      if (workload.kind === 'Deployment' || workload.kind === 'StatefulSet') {
        assert.ok(spec.terminationGracePeriodSeconds * 1000 > shutdownMs, `${name}: grace period exceeds SHUTDOWN_TIMEOUT_MS`);
        assert.deepEqual(workload.spec.selector.matchLabels, workload.spec.template.metadata.labels);
      }
      assert.equal(spec.securityContext.runAsNonRoot, true, `${name} runs as non-root`);
      for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
        assert.equal(container.securityContext?.allowPrivilegeEscalation, false, `${name}/${container.name}`);
        assert.equal(container.securityContext?.readOnlyRootFilesystem, true, `${name}/${container.name}`);
      }
      for (const { container } of askdocsContainers.filter((c) => c.workload === workload)) {
        assert.ok(container.resources?.requests?.cpu && container.resources?.requests?.memory, `${name} requests`);
        assert.ok(container.resources?.limits?.memory, `${name} memory limit`);
        const mounts = (container.volumeMounts as { mountPath: string }[]).map((m) => m.mountPath);
        assert.ok(mounts.includes('/tmp'), `${name}: a writable /tmp for tsx under a read-only root`);
      }
    }
  });

  test('Discord runs one pod per shard: SHARD_COUNT is the replica count, each pod runs the shard of its index', () => {
    const discord = workloads.find((w) => w.metadata.name === 'askdocs-discord');
    assert.equal(discord.kind, 'StatefulSet');
    const container = podSpecOf(discord).containers.find((c: Yaml) => c.image === 'askdocs');
    const env = new Map((container.env as Yaml[]).map((e) => [e.name, e]));
    assert.equal(Number(env.get('SHARD_COUNT')?.value), discord.spec.replicas, 'as many shards as pods, or guilds go unanswered');
    assert.equal(
      env.get('SHARD_IDS')?.valueFrom?.fieldRef?.fieldPath,
      "metadata.labels['apps.kubernetes.io/pod-index']",
      'pod N runs shard N',
    );
    assert.ok(
      k8s.documents.some((d) => d.kind === 'Service' && d.metadata.name === discord.spec.serviceName),
      'the StatefulSet names a Service that exists',
    );
  });

  test('Slack runs as 2 replicas that roll without a gap and survive a node drain', () => {
    const slack = workloads.find((w) => w.metadata.name === 'askdocs-slack');
    assert.ok(slack.spec.replicas >= 2, 'at least two replicas');
    assert.equal(slack.spec.strategy.type, 'RollingUpdate');
    assert.equal(slack.spec.strategy.rollingUpdate.maxUnavailable, 0, 'a new pod is ready before an old one stops');
    const budget = k8s.documents.find(
      (d) =>
        d.kind === 'PodDisruptionBudget' &&
        Object.entries(d.spec.selector.matchLabels).every(([k, v]) => slack.spec.template.metadata.labels[k] === v),
    );
    assert.ok(budget, 'a PodDisruptionBudget selects the Slack pods');
    assert.ok(budget.spec.minAvailable >= 1 && budget.spec.minAvailable < slack.spec.replicas, 'keeps one answering, lets one go');
    assert.ok(
      !(podSpecOf(slack).volumes ?? []).some((v: Yaml) => v.persistentVolumeClaim),
      'no ReadWriteOnce volume that two replicas would fight over',
    );
  });

  test('the replicas share one Redis that keeps its data (AOF, no eviction, a volume)', () => {
    const url = new URL(configMap.data.REDIS_URL);
    assert.equal(url.protocol, 'redis:');
    assert.equal(configMap.data.FEEDBACK_DB, 'redis');
    const service = k8s.documents.find((d) => d.kind === 'Service' && d.metadata.name === url.hostname);
    assert.ok(service, `REDIS_URL names Service ${url.hostname}`);
    assert.ok(
      service.spec.ports.some((p: Yaml) => String(p.port) === url.port),
      'on its port',
    );
    const redis = workloads.find((w) => w.metadata.name === 'askdocs-redis');
    assert.equal(redis.kind, 'StatefulSet');
    assert.ok(Object.entries(service.spec.selector).every(([k, v]) => redis.spec.template.metadata.labels[k] === v));
    const container = podSpecOf(redis).containers[0];
    assertDurableRedis(container.args, 'redis StatefulSet');
    const dataMount = container.volumeMounts.find((m: Yaml) => m.mountPath === '/data');
    assert.ok(
      redis.spec.volumeClaimTemplates.some((t: Yaml) => t.metadata.name === dataMount?.name),
      'data on a persistent volume',
    );
  });

  test('Services and volumes refer to things that exist', () => {
    const claims = new Set(k8s.documents.filter((d) => d.kind === 'PersistentVolumeClaim').map((d) => d.metadata.name));
    for (const workload of workloads) {
      for (const volume of podSpecOf(workload).volumes ?? []) {
        if (volume.persistentVolumeClaim) assert.ok(claims.has(volume.persistentVolumeClaim.claimName));
      }
    }
    for (const service of k8s.documents.filter((d) => d.kind === 'Service')) {
      const target = workloads.find((w) =>
        Object.entries(service.spec.selector).every(([k, v]) => w.spec.template.metadata.labels[k] === v),
      );
      assert.ok(target, `Service ${service.metadata.name} selects a workload`);
      const named = new Set(podSpecOf(target).containers.flatMap((c: Yaml) => (c.ports ?? []).map((p: Yaml) => p.name)));
      for (const port of service.spec.ports) assert.ok(named.has(port.targetPort), `targetPort ${port.targetPort}`);
    }
  });

  test('kubectl kustomize renders the manifests with the pinned image', (t) => {
    const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
    if (kubectl.error) {
      t.skip('kubectl is not installed');
      return;
    }
    const rendered = execFileSync('kubectl', ['kustomize', join(DEPLOY_DIR, 'kubernetes')], { encoding: 'utf8' });
    const images = [...rendered.matchAll(/image: (\S+)/g)].map((m) => m[1]!);
    assert.ok(images.length >= 4);
    for (const image of images) assertPinned(image, 'rendered manifest');
    assert.ok(!images.includes('askdocs'), 'the askdocs image name is replaced by the pinned one');
    assert.match(rendered, /namespace: askdocs/);
  });

  test('the Milvus Helm values run a pinned Milvus 2.5+ in cluster mode', () => {
    const values = readYaml('kubernetes/milvus-values.yaml');
    assert.equal(values.cluster.enabled, true);
    assertMilvusWithBm25(values.image.all.tag, 'milvus-values.yaml');
    assert.equal(values.service.type, 'ClusterIP');
    const header = readFileSync(join(DEPLOY_DIR, 'kubernetes/milvus-values.yaml'), 'utf8');
    const chart = /--version (\d+\.\d+\.\d+)/.exec(header)?.[1];
    assert.ok(chart, 'the install command pins the chart version');
    assert.match(readFileSync(join(PACKAGE_ROOT, 'docs/deploy.md'), 'utf8'), new RegExp(`--version ${chart}`));
  });
});

describe('Dockerfile', () => {
  const instructions = loadDockerfile();
  const args = new Map(
    instructions
      .filter((i) => i.keyword === 'ARG' && i.args.includes('='))
      .map((i) => [i.args.split('=')[0]!, i.args.split('=').slice(1).join('=')]),
  );
  const stages = instructions.filter((i) => i.keyword === 'FROM');
  const finalStage = instructions.slice(instructions.lastIndexOf(stages.at(-1)!));
  const resolveArgs = (text: string) => text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => args.get(a ?? b) ?? `$${a ?? b}`);

  test('multi-stage from pinned Node 20 slim images, ending as a non-root user', () => {
    assert.ok(stages.length >= 2, 'multi-stage');
    for (const stage of stages) assertPinned(resolveArgs(stage.args.split(' ')[0]!), `FROM ${stage.args}`);
    const runtimeImage = resolveArgs(stages.at(-1)!.args.split(' ')[0]!);
    assert.match(runtimeImage, /^node:20\.\d+\.\d+-[a-z]+-slim$/);
    const user = finalStage.filter((i) => i.keyword === 'USER').at(-1)?.args;
    assert.ok(user && !/^(root|0)(:|$)/.test(user), `final USER is ${user}`);
  });

  test('installs only production dependencies and bakes in the embedding model', () => {
    const runs = instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    assert.ok(runs.some((r) => /npm ci\b.*--omit=dev/.test(r)));
    assert.ok(
      runs.some((r) => /bash scripts\/setup\.sh/.test(r)),
      'the model is assembled by scripts/setup.sh',
    );
    const copies = finalStage.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    assert.ok(
      copies.some((c) => /--from=model\b.*\/models\b/.test(c)),
      'the runtime stage holds the model',
    );
    // The native engine (binary + libraries) from its own build stage; no Python at run time.
    assert.ok(
      copies.some((c) => /--from=engine\b.*vendor\/milvus-lite\b/.test(c)),
      'the runtime stage holds the native engine',
    );
    assert.ok(!copies.some((c) => /\.venv|python|site-packages/i.test(c)), 'no Python venv in the runtime stage');
    const finalRuns = finalStage.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    assert.ok(!finalRuns.some((r) => /python|pip\b/i.test(r)), 'no Python installed in the runtime stage');
    assert.match(resolveArgs(stages.at(-1)!.args), /^node:/, 'the runtime stage is a Node image');
    assert.deepEqual(JSON.parse(finalStage.find((i) => i.keyword === 'ENTRYPOINT')!.args), ['node', 'bin/askdocs.js']);
  });

  test('everything it copies from the repository exists and passes the .dockerignore', () => {
    const ignore = readFileSync(join(DEPLOY_DIR, 'Dockerfile.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1).replace(/\/\*\*$/, ''));
    const sources = instructions
      .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))
      .flatMap((i) =>
        i.args
          .split(/\s+/)
          .filter((p) => !p.startsWith('--'))
          .slice(0, -1),
      );
    assert.ok(sources.length >= 5);
    for (const source of sources) {
      assert.ok(existsSync(resolve(PACKAGE_ROOT, source)), `${source} exists`);
      assert.ok(ignore.includes(source.replace(/\/$/, '')), `${source} is let through Dockerfile.dockerignore`);
    }
  });

  test('its HEALTHCHECK asks /healthz on HEALTH_PORT', () => {
    const script = dockerHealthcheckCommand(instructions).at(-1)!;
    assert.match(script, /process\.env\.HEALTH_PORT/);
    assert.match(script, new RegExp(HEALTH_PATHS.liveness));
    const env = finalStage
      .filter((i) => i.keyword === 'ENV')
      .map((i) => i.args)
      .join(' ');
    for (const name of env.match(/\b[A-Z][A-Z0-9_]+(?==)/g) ?? []) assert.ok(SETTINGS.has(name) || name === 'NODE_ENV', name);
  });

  test('the code the image runs imports only production dependencies', () => {
    const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const builtins = new Set(builtinModules);
    const problems: string[] = [];
    for (const file of sourceFiles(['src', 'adapters', 'bin'])) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(
        /^(?:import|export)(?!\s+type\b)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm,
      )) {
        const specifier = match[1] ?? match[2]!;
        if (specifier.startsWith('.') || specifier.startsWith('node:') || builtins.has(specifier)) continue;
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
        if (!(name in pkg.dependencies)) problems.push(`${relative(PACKAGE_ROOT, file)} imports ${specifier}`);
      }
    }
    assert.deepEqual(problems, [], 'imports of packages that `npm ci --omit=dev` leaves out');
  });
});

function sourceFiles(dirs: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ts|js|mjs)$/.test(entry)) out.push(path);
    }
  };
  for (const dir of dirs) if (existsSync(resolve(PACKAGE_ROOT, dir))) walk(resolve(PACKAGE_ROOT, dir));
  return out;
}

describe('docs/deploy.md', () => {
  test('every setting it names is one askdocs reads', () => {
    const text = readFileSync(join(PACKAGE_ROOT, 'docs/deploy.md'), 'utf8');
    // Names that belong to Docker Compose, the Dockerfile or the ingest CronJob, not to askdocs.
    const notSettings = new Set(['COMPOSE_PROFILES', 'HEALTHCHECK', 'DOCS_DIR', 'DOCS_GIT_URL', 'DOCS_GIT_REF']);
    const named = [...text.matchAll(/`([A-Z][A-Z0-9_]{2,})`/g)].map((m) => m[1]!).filter((n) => !notSettings.has(n));
    assert.ok(named.length > 20);
    assert.deepEqual([...new Set(named.filter((name) => !SETTINGS.has(name)))], []);
    for (const setting of ['MILVUS_URI', 'MILVUS_TOKEN', 'HEALTH_PORT', 'LOG_LEVEL', 'SHUTDOWN_TIMEOUT_MS']) {
      assert.ok(named.includes(setting), `${setting} is documented`);
    }
  });
});
