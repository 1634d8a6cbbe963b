// Set by build/bundle.mjs from package.json; tests and `node --import tsx` see the fallback.
export const VERSION: string = typeof __WANPULSE_VERSION__ !== 'undefined' ? __WANPULSE_VERSION__ : '0.0.0-dev';
