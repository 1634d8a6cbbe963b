// Bundle-time stand-in for the `debug` package (used by mqtt-packet): its Node entry needs `tty`
// and `util`, which txiki.js lacks, and wanpulse never turns those traces on. Every logger is a
// no-op that still answers `.enabled`, `.extend()` and `.log` the way callers expect.
'use strict';
function createDebug() {
  const noop = function () {};
  noop.enabled = false;
  noop.extend = createDebug;
  noop.log = noop;
  return noop;
}
createDebug.enable = function () {};
createDebug.disable = function () { return ''; };
createDebug.enabled = function () { return false; };
module.exports = createDebug;
module.exports.default = createDebug;
