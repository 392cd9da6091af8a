import type { Principal } from '../http/access.js';
import type { AuditActor } from './audit-log.js';

export function principalActor(principal: Principal): AuditActor {
  return { userId: principal.userId, label: principal.email };
}
