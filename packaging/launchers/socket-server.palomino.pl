#!/usr/bin/node
// MySQL ZRM plugin launcher: ZRM configs and xinetd name this file. The program lives in one
// bundled file and looks at the name of the file Node was started with (process.argv[1]):
// started as socket-server.palomino.pl, it behaves as that plugin.
import('/usr/lib/mysql-zrm-innobackupex/zrm-innobackupex.mjs');
