// @ts-check
// Stateless signed session cookies: every server process that shares SESSION_SECRET accepts
// the cookie another one issued, so a load balancer needs no stickiness.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The cookie's name. */
export const COOKIE = 'cp_session';
/** How long a session lasts, in seconds. */
export const SESSION_SECONDS = 8 * 3600;

/**
 * @typedef {{role: 'patient', account: string} | {role: 'staff', staff: string}} Session
 */

export class Sessions {
  /** @param {{secret: string, secure: boolean}} opts */
  constructor(opts) {
    this.secret = opts.secret;
    this.secure = opts.secure;
  }

  /** @param {string} body */
  sign(body) {
    return createHmac('sha256', this.secret).update(body).digest('base64url');
  }

  /**
   * The Set-Cookie value that logs `session` in until `now + SESSION_SECONDS`.
   * @param {Session} session
   * @param {Date} now
   */
  issue(session, now) {
    const exp = Math.floor(now.getTime() / 1000) + SESSION_SECONDS;
    const body = Buffer.from(JSON.stringify({ ...session, exp })).toString('base64url');
    const value = `${body}.${this.sign(body)}`;
    return `${COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_SECONDS}${this.secure ? '; Secure' : ''}`;
  }

  /** The Set-Cookie value that logs out. */
  clear() {
    return `${COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${this.secure ? '; Secure' : ''}`;
  }

  /**
   * The session a Cookie header carries, or null (none, forged, expired or malformed).
   * @param {string | undefined} header
   * @param {Date} now
   * @returns {Session | null}
   */
  read(header, now) {
    if (!header) return null;
    const raw = header
      .split(';')
      .map((part) => part.trim())
      .find((part) => part.startsWith(`${COOKIE}=`));
    if (!raw) return null;
    const [body, mac] = raw.slice(COOKIE.length + 1).split('.');
    if (!body || !mac) return null;
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    try {
      const parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      if (typeof parsed.exp !== 'number' || parsed.exp * 1000 <= now.getTime()) return null;
      if (parsed.role === 'patient' && typeof parsed.account === 'string') return { role: 'patient', account: parsed.account };
      if (parsed.role === 'staff' && typeof parsed.staff === 'string') return { role: 'staff', staff: parsed.staff };
      return null;
    } catch {
      return null;
    }
  }
}
