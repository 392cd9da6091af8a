import { XMLParser } from 'fast-xml-parser';
import { expect } from 'vitest';
import type { AwsResponseRecord } from '../../src/aws/aws-endpoint.js';
import { findBotocoreData, loadModel, type ServiceModel, type Shape } from './botocore-models.js';
import { requireTool } from './tools.js';

/** Errors any operation may return (authentication, validation, throttling), which models do not list. */
const COMMON_JSON_ERRORS = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignatureException',
  'ExpiredTokenException',
  'MissingAuthenticationTokenException',
  'ValidationException',
  'SerializationException',
  'UnknownOperationException',
  'ThrottlingException',
]);
const COMMON_QUERY_ERRORS = new Set([
  'AccessDenied',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'ExpiredToken',
  'MissingAuthenticationToken',
  'ValidationError',
  'InvalidAction',
  'InternalFailure',
  'Throttling',
]);

const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: false });

/** Returns the problems of one response against the service's botocore model (an empty list if none). */
export function checkResponse(model: ServiceModel, record: AwsResponseRecord): string[] {
  const operation = model.operations[record.operation];
  const where = `${record.service}:${record.operation}`;
  if (!operation) return record.status >= 400 ? [] : [`${where}: operation not in the model`];
  const problems: string[] = [];
  const errorCodes = new Map<string, Shape>();
  for (const { shape } of operation.errors ?? []) {
    const errorShape = model.shapes[shape]!;
    errorCodes.set(errorShape.error?.code ?? shape, errorShape);
  }

  if (record.service === 'kms') {
    const body = JSON.parse(record.body) as Record<string, unknown>;
    if (record.status >= 400) {
      const code = String(body.__type);
      if (!errorCodes.has(code) && !COMMON_JSON_ERRORS.has(code))
        problems.push(`${where}: error ${code} not modelled`);
      for (const name of Object.keys(body))
        if (name !== '__type' && name !== 'message') problems.push(`${where}: error member ${name}`);
      return problems;
    }
    if (!operation.output)
      return Object.keys(body).length === 0 ? [] : [`${where}: output on an operation without one`];
    checkJson(model, operation.output.shape, body, where, problems);
    return problems;
  }

  const document = parser.parse(record.body) as Record<string, unknown>;
  if (record.status >= 400) {
    const error = (document.ErrorResponse as { Error?: Record<string, string> } | undefined)?.Error;
    if (!error) return [`${where}: error response without ErrorResponse/Error`];
    const code = error.Code ?? '';
    const modelled = errorCodes.get(code);
    if (!modelled && !COMMON_QUERY_ERRORS.has(code)) problems.push(`${where}: error ${code} not modelled`);
    const modelledStatus = modelled?.error?.httpStatusCode;
    if (modelledStatus !== undefined && modelledStatus !== record.status) {
      problems.push(`${where}: ${code} sent with HTTP ${record.status}, model says ${modelledStatus}`);
    }
    if (!['Sender', 'Receiver'].includes(error.Type ?? ''))
      problems.push(`${where}: error Type ${error.Type}`);
    return problems;
  }
  const root = document[`${record.operation}Response`] as Record<string, unknown> | undefined;
  if (!root) return [`${where}: missing ${record.operation}Response`];
  const metadata = root.ResponseMetadata as Record<string, unknown> | undefined;
  if (!metadata?.RequestId) problems.push(`${where}: missing ResponseMetadata/RequestId`);
  for (const name of Object.keys(root)) {
    if (name !== 'ResponseMetadata' && name !== `${record.operation}Result`)
      problems.push(`${where}: unexpected ${name}`);
  }
  const result = root[`${record.operation}Result`];
  if (operation.output) checkXml(model, operation.output.shape, result ?? '', where, problems);
  else if (result !== undefined) problems.push(`${where}: result on an operation without output`);
  return problems;
}

function checkJson(
  model: ServiceModel,
  shapeName: string,
  value: unknown,
  path: string,
  problems: string[],
): void {
  const shape = model.shapes[shapeName]!;
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        problems.push(`${path}: expected structure ${shapeName}`);
        return;
      }
      const record = value as Record<string, unknown>;
      for (const name of shape.required ?? [])
        if (record[name] === undefined) problems.push(`${path}.${name}: required member missing`);
      for (const [name, member] of Object.entries(record)) {
        const memberShape = shape.members?.[name];
        if (!memberShape) problems.push(`${path}.${name}: unknown member of ${shapeName}`);
        else checkJson(model, memberShape.shape, member, `${path}.${name}`, problems);
      }
      return;
    }
    case 'list':
      if (!Array.isArray(value)) problems.push(`${path}: expected list`);
      else
        for (const [index, item] of value.entries())
          checkJson(model, shape.member!.shape, item, `${path}[${index}]`, problems);
      return;
    case 'map':
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        problems.push(`${path}: expected map`);
      else
        for (const [key, item] of Object.entries(value))
          checkJson(model, shape.value!.shape, item, `${path}{${key}}`, problems);
      return;
    case 'string':
    case 'blob':
      if (typeof value !== 'string') problems.push(`${path}: expected ${shape.type}`);
      else if (shape.enum && !shape.enum.includes(value))
        problems.push(`${path}: ${value} not in enum ${shapeName}`);
      return;
    case 'integer':
    case 'long':
      if (!Number.isInteger(value)) problems.push(`${path}: expected integer`);
      return;
    case 'timestamp':
    case 'double':
    case 'float':
      if (typeof value !== 'number') problems.push(`${path}: expected number (${shape.type})`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') problems.push(`${path}: expected boolean`);
      return;
    default:
      problems.push(`${path}: unchecked shape type ${shape.type}`);
  }
}

function checkXml(
  model: ServiceModel,
  shapeName: string,
  value: unknown,
  path: string,
  problems: string[],
): void {
  const shape = model.shapes[shapeName]!;
  const text = typeof value === 'string' ? value : undefined;
  switch (shape.type) {
    case 'structure': {
      const record = value === '' ? {} : value;
      if (typeof record !== 'object' || record === null || Array.isArray(record)) {
        problems.push(`${path}: expected structure ${shapeName}`);
        return;
      }
      const elements = record as Record<string, unknown>;
      const byElement = new Map(
        Object.entries(shape.members ?? {}).map(([name, member]) => [member.locationName ?? name, member]),
      );
      for (const name of shape.required ?? []) {
        const element = shape.members?.[name]?.locationName ?? name;
        if (elements[element] === undefined) problems.push(`${path}.${name}: required member missing`);
      }
      for (const [name, element] of Object.entries(elements)) {
        const member = byElement.get(name);
        if (!member) problems.push(`${path}.${name}: unknown member of ${shapeName}`);
        else checkXml(model, member.shape, element, `${path}.${name}`, problems);
      }
      return;
    }
    case 'list': {
      if (shape.flattened) {
        problems.push(`${path}: flattened lists are not checked`);
        return;
      }
      if (value === '') return;
      const container = value as Record<string, unknown>;
      const memberName = shape.member?.locationName ?? 'member';
      const items = container[memberName];
      const list = items === undefined ? [] : Array.isArray(items) ? items : [items];
      if (Object.keys(container).some((name) => name !== memberName))
        problems.push(`${path}: list with elements other than ${memberName}`);
      for (const [index, item] of list.entries())
        checkXml(model, shape.member!.shape, item, `${path}[${index}]`, problems);
      return;
    }
    case 'string':
    case 'blob':
      if (text === undefined) problems.push(`${path}: expected ${shape.type}`);
      else if (shape.enum && !shape.enum.includes(text))
        problems.push(`${path}: ${text} not in enum ${shapeName}`);
      return;
    case 'integer':
    case 'long':
      if (!/^-?\d+$/.test(text ?? '')) problems.push(`${path}: expected integer, got ${String(value)}`);
      return;
    case 'boolean':
      if (text !== 'true' && text !== 'false')
        problems.push(`${path}: expected boolean, got ${String(value)}`);
      return;
    case 'timestamp':
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(text ?? ''))
        problems.push(`${path}: expected ISO 8601 timestamp, got ${String(value)}`);
      return;
    default:
      problems.push(`${path}: unchecked shape type ${shape.type}`);
  }
}

/**
 * Checks every recorded response against the botocore models that AWS CLI v1 ships. Without botocore the
 * check fails in CI and is skipped (with a warning) elsewhere.
 */
export function expectResponsesMatchModels(records: AwsResponseRecord[]): void {
  const dataDir = findBotocoreData();
  if (!requireTool(dataDir !== undefined, 'botocore (AWS CLI v1) service models')) return;
  expect(records.length).toBeGreaterThan(0);
  const problems = records.flatMap((record) => checkResponse(loadModel(dataDir!, record.service), record));
  expect(problems).toEqual([]);
}
