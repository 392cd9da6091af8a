import { beforeAll, describe, expect, it } from 'vitest';
import { findBotocoreData, loadModel, type ServiceModel } from './helpers/botocore-models.js';
import { checkResponse } from './helpers/response-shapes.js';
import { requireTool } from './helpers/tools.js';

// Negative controls: the checker used on every recorded response must reject malformed bodies.
const dataDir = findBotocoreData();
const available = requireTool(dataDir !== undefined, 'botocore (AWS CLI v1) service models');

let kms: ServiceModel;
let iam: ServiceModel;
beforeAll(() => {
  if (!available) return;
  kms = loadModel(dataDir!, 'kms');
  iam = loadModel(dataDir!, 'iam');
});

const metadata = { KeyId: 'k', Arn: 'arn', CreationDate: 1.5, Enabled: true, KeyState: 'Enabled' };
const describeKey = (body: object, status = 200) => ({
  service: 'kms',
  operation: 'DescribeKey',
  status,
  body: JSON.stringify(body),
});
const getRole = (result: string) => ({
  service: 'iam',
  operation: 'GetRole',
  status: 200,
  body: `<GetRoleResponse><GetRoleResult>${result}</GetRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetRoleResponse>`,
});
const role = (members: string) =>
  `<Role><Path>/</Path><RoleName>n</RoleName>${members}<Arn>arn</Arn><CreateDate>2026-01-01T00:00:00.000Z</CreateDate></Role>`;

describe.runIf(available)('response shape checker', () => {
  it('accepts a valid JSON output', () => {
    expect(checkResponse(kms, describeKey({ KeyMetadata: metadata }))).toEqual([]);
  });

  it('rejects unknown JSON member', () => {
    expect(checkResponse(kms, describeKey({ KeyMetadata: { ...metadata, Colour: 'red' } }))).toHaveLength(1);
  });

  it('rejects missing required member', () => {
    expect(checkResponse(kms, describeKey({ KeyMetadata: { Arn: 'arn' } }))).toEqual([
      'kms:DescribeKey.KeyMetadata.KeyId: required member missing',
    ]);
  });

  it('rejects wrong JSON type', () => {
    expect(checkResponse(kms, describeKey({ KeyMetadata: { ...metadata, Enabled: 'yes' } }))).toHaveLength(1);
  });

  it('rejects value outside enum', () => {
    expect(
      checkResponse(kms, describeKey({ KeyMetadata: { ...metadata, KeyState: 'Sleeping' } })),
    ).toHaveLength(1);
  });

  it('rejects unmodelled JSON error', () => {
    expect(checkResponse(kms, describeKey({ __type: 'TeapotException', message: '' }, 400))).toHaveLength(1);
  });

  it('accepts a valid XML output', () => {
    expect(checkResponse(iam, getRole(role('<RoleId>AROA</RoleId>')))).toEqual([]);
  });

  it('rejects XML missing required member', () => {
    expect(checkResponse(iam, getRole(role('')))).toEqual([
      'iam:GetRole.Role.RoleId: required member missing',
    ]);
  });

  it('rejects XML with bad integer', () => {
    expect(
      checkResponse(iam, getRole(role('<RoleId>AROA</RoleId><MaxSessionDuration>long</MaxSessionDuration>'))),
    ).toHaveLength(1);
  });

  it('rejects XML error with wrong status', () => {
    const body =
      '<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>m</Message></Error><RequestId>r</RequestId></ErrorResponse>';
    expect(checkResponse(iam, { service: 'iam', operation: 'GetRole', status: 400, body })).toHaveLength(1);
  });
});
