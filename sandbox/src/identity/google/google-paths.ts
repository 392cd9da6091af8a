/** Path of the Google-like issuer under the sandbox's URL. */
export const GOOGLE_PATH = '/google';

/** Scope of the Directory API's read-only user calls, needed for `users.get`. */
export const DIRECTORY_USER_READONLY_SCOPE = 'https://www.googleapis.com/auth/admin.directory.user.readonly';
/** Scope of the Directory API's user calls; it includes `users.get`. */
export const DIRECTORY_USER_SCOPE = 'https://www.googleapis.com/auth/admin.directory.user';
