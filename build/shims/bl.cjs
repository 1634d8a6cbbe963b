// Bundle-time stand-in for `bl` (used by mqtt-packet's parser): the parser only needs the plain
// BufferList, not the Duplex stream wrapper, which would pull in readable-stream and Node's
// `stream` module (absent on txiki.js). The relative path skips the `bl` alias on purpose.
'use strict';
const BufferList = require('../../node_modules/bl/BufferList.js');
module.exports = function bl(initial) { return new BufferList(initial); };
module.exports.BufferList = BufferList;
