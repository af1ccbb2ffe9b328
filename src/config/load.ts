import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { validate as generatedConfigValidator } from './config-validator.generated.ts';
import { ceilingProblems } from './ceiling-checks.ts';
import { ConfigError } from './config-error.ts';
import type { Config } from './types.ts';
import { optOutProfile, profileNamed, tierPolicyName } from './profiles.ts';

const builtinConfigPath = new URL('../../config/default.yaml', import.meta.url);
/** configSchema's validator, compiled ahead of time (scripts/generate-validators.ts says why). */
const validateConfigDocument = generatedConfigValidator as unknown as ValidateFunction;

/** Reads, parses and validates a YAML config file; without a path, the built-in defaults. */
export function loadConfig(path?: string): Config {
  const source = path ?? fileURLToPath(builtinConfigPath);
  let text: string;
  try {
    text = readFileSync(path ?? builtinConfigPath, 'utf8');
  } catch (error) {
    throw new ConfigError(source, [`cannot read file: ${(error as Error).message}`]);
  }
  let document: unknown;
  try {
    document = parseYaml(text) ?? {};
  } catch (error) {
    throw new ConfigError(source, [`not valid YAML: ${(error as Error).message}`]);
  }
  return parseConfig(document, source, path === undefined ? 'none' : 'builtin');
}

/**
 * Validates an already-parsed document. A document without `profiles` gets the built-in
 * ones, so a config file can change the mode without restating the seed profile.
 */
export function parseConfig(document: unknown, source = 'config', profileDefaults: 'builtin' | 'none' = 'builtin'): Config {
  const candidate = withDefaultProfiles(document, source, profileDefaults);
  const schemaProblems = validateConfigDocument(candidate) ? [] : (validateConfigDocument.errors ?? []).flatMap(describeSchemaError);
  const config = candidate as unknown as Config;
  if (schemaProblems.length > 0) throw new ConfigError(source, schemaProblems);
  const problems = crossFieldProblems(config);
  if (problems.length > 0) throw new ConfigError(source, problems);
  return config;
}

/** A copy of the document, with the built-in profiles when it names none. */
function withDefaultProfiles(document: unknown, source: string, profileDefaults: 'builtin' | 'none'): Record<string, unknown> {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new ConfigError(source, ['(root): must be a mapping']);
  }
  const candidate = structuredClone(document) as Record<string, unknown>;
  if (candidate.profiles === undefined && profileDefaults === 'builtin') candidate.profiles = builtinProfiles();
  return candidate;
}

let builtinProfilesCache: unknown;
function builtinProfiles(): unknown {
  builtinProfilesCache ??= loadConfig().profiles;
  return structuredClone(builtinProfilesCache);
}

function describeSchemaError(error: ErrorObject): string[] {
  const at = error.instancePath === '' ? '(root)' : error.instancePath;
  const params = error.params as Record<string, unknown>;
  // propertyNames reports the name's own error (with propertyName set), then a summary: keep the first.
  if (error.keyword === 'propertyNames') return [];
  if (error.propertyName !== undefined) return [`${at}/${error.propertyName}: the name ${error.message ?? 'is invalid'}`];
  return [describeOne(error, at, params)];
}

function describeOne(error: ErrorObject, at: string, params: Record<string, unknown>): string {
  if (error.keyword === 'additionalProperties') return `${at}: unknown field "${String(params.additionalProperty)}"`;
  if (error.keyword === 'enum') return `${at}: must be one of ${(params.allowedValues as unknown[]).join(', ')}`;
  return `${at}: ${error.message ?? 'is invalid'}`;
}

/** What the schema cannot say: names that must refer to each other. */
function crossFieldProblems(config: Config): string[] {
  const problems: string[] = [];
  const tiers = new Set(config.tierLabel.values);
  const tierList = config.tierLabel.values.join(', ');
  const checkTier = (tier: string, at: string): void => {
    if (!tiers.has(tier)) problems.push(`${at}: tier "${tier}" is not one of tierLabel.values (${tierList})`);
  };
  if (config.profiles[optOutProfile] !== undefined) {
    problems.push(`/profiles/${optOutProfile}: "${optOutProfile}" is reserved for opting out and cannot be defined`);
  }
  if (profileNamed(config, config.defaultProfile) === undefined) {
    problems.push(`/defaultProfile: profile "${config.defaultProfile}" is not defined under profiles (${Object.keys(config.profiles).join(', ')})`);
  }
  if (config.defaultTier !== undefined) checkTier(config.defaultTier, '/defaultTier');
  config.tierRules.forEach((rule, i) => checkTier(rule.tier, `/tierRules/${i}/tier`));
  for (const [name, profile] of Object.entries(config.profiles)) {
    const policyNames = new Map<string, number>();
    profile.tiers.forEach((ingress, i) => {
      checkTier(ingress.tier, `/profiles/${name}/tiers/${i}/tier`);
      if (ingress.from !== 'anywhere') {
        ingress.from.forEach((peer, j) => checkTier(peer.tier, `/profiles/${name}/tiers/${i}/from/${j}/tier`));
      }
      const policyName = tierPolicyName(ingress);
      const earlier = policyNames.get(policyName);
      if (earlier !== undefined) {
        problems.push(`/profiles/${name}/tiers/${i}/policyName: "${policyName}" is already used by /profiles/${name}/tiers/${earlier}`);
      }
      policyNames.set(policyName, i);
    });
  }
  return [...problems, ...ceilingProblems(config)];
}
