/**
 * Reads the deployment files in deploy/ as the tools that consume them would:
 * docker-compose.yml with YAML merge keys, the Kubernetes manifests listed in
 * kustomization.yaml (multi-document), and the Dockerfile's instructions.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { PACKAGE_ROOT } from '../../src/paths.ts';

export const DEPLOY_DIR = resolve(PACKAGE_ROOT, 'deploy');
export const COMPOSE_FILE = join(DEPLOY_DIR, 'docker-compose.yml');
export const KUSTOMIZATION_FILE = join(DEPLOY_DIR, 'kubernetes', 'kustomization.yaml');
export const DOCKERFILE = join(DEPLOY_DIR, 'Dockerfile');

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML is inspected field by field in the tests.
export type Yaml = any;

export interface ComposeService {
  name: string;
  image?: string;
  command?: string[] | string;
  environment?: Record<string, string>;
  env_file?: ({ path: string } | string)[];
  profiles?: string[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  ports?: string[];
  volumes?: string[];
  build?: unknown;
  stop_grace_period?: string;
}

export function loadCompose(): { file: Yaml; services: ComposeService[] } {
  const file = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true });
  const services = Object.entries(file.services as Record<string, Omit<ComposeService, 'name'>>).map(([name, service]) => ({
    name,
    ...service,
    environment: normaliseEnvironment(service.environment),
  }));
  return { file, services };
}

/** Compose accepts `environment` as a map or as a list of KEY=value strings. */
function normaliseEnvironment(environment: unknown): Record<string, string> | undefined {
  if (environment === undefined) return undefined;
  if (Array.isArray(environment)) {
    return Object.fromEntries(
      environment.map((entry: string) => {
        const at = entry.indexOf('=');
        return at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(environment as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

/** The URL that a compose healthcheck of the form [CMD, node, -e, "fetch('…')…"] fetches. */
export function composeHealthcheckUrl(service: ComposeService): URL {
  const test = service.healthcheck?.test;
  const script = Array.isArray(test) ? (test.at(-1) ?? '') : '';
  const match = /fetch\('([^']+)'\)/.exec(script);
  if (!match) throw new Error(`${service.name}: the healthcheck fetches no URL`);
  return new URL(match[1]!);
}

export interface KubernetesManifests {
  kustomization: Yaml;
  /** Every document of every resource file, in kustomization order. */
  documents: Yaml[];
  files: string[];
}

export function loadKubernetes(): KubernetesManifests {
  const kustomization = parse(readFileSync(KUSTOMIZATION_FILE, 'utf8'));
  const files = (kustomization.resources as string[]).map((file) => resolve(dirname(KUSTOMIZATION_FILE), file));
  const documents = files.flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      return doc.toJS();
    }),
  );
  return { kustomization, documents, files };
}

export function readYaml(relativePath: string): Yaml {
  return parse(readFileSync(join(DEPLOY_DIR, relativePath), 'utf8'));
}

/** The pod template of a workload (Deployment, StatefulSet, Job, CronJob). */
export function podSpecOf(doc: Yaml): Yaml | undefined {
  if (doc.kind === 'CronJob') return doc.spec.jobTemplate.spec.template.spec;
  return doc.spec?.template?.spec;
}

export interface DockerInstruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions with line continuations joined and comments dropped. */
export function loadDockerfile(): DockerInstruction[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of readFileSync(DOCKERFILE, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(pending + line);
    pending = '';
  }
  return logical
    .filter((line) => line !== '')
    .map((line) => {
      const space = line.indexOf(' ');
      return { keyword: line.slice(0, space).toUpperCase(), args: line.slice(space + 1).trim() };
    });
}

/** The exec-form command of a HEALTHCHECK instruction (`HEALTHCHECK [options] CMD [...]`). */
export function dockerHealthcheckCommand(instructions: DockerInstruction[]): string[] {
  const healthcheck = instructions.find((i) => i.keyword === 'HEALTHCHECK');
  if (!healthcheck) throw new Error('the Dockerfile has no HEALTHCHECK');
  const at = healthcheck.args.indexOf('CMD ');
  return JSON.parse(healthcheck.args.slice(at + 4)) as string[];
}
