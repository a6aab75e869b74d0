import type { PluginMode } from './pluginNames.js';

// What --help adds for each plugin: the arguments ZRM passes it (PROTOCOL.md §2, §3).
export const PLUGIN_HELP: Record<PluginMode, string> = {
  snapshot: `
Installed as /usr/share/mysql-zrm/plugins/inno-snapshot.pl (ZRM's snapshot-plugin).
ZRM runs it with:
  --action get-vm-device-details --directory DIR [--host HOST]
  --action create-snapshot|mount|umount|remove-snapshot [--host HOST] [--dev D --sname S --fstype T --size N --directory DIR]
With --host the action is forwarded to that host's socket server through the copy plugin.`,
  'socket-copy': `
Installed as /usr/share/mysql-zrm/plugins/socket-copy.palomino.pl (ZRM's copy-plugin).
ZRM runs it with:
  [--source-host H] --source-file F [--destination-host H] --destination-directory D
  --create-link --source-file LIST --destination-host H --destination-directory D
  --snapshot-command --host H --snapshot-parameters "ARGS"
  remove-backup-data --backup-dir D [--type-of-dir T | --backup-id ID] --host H
  --mysqlhotcopy [--host H --user U --port P --socket S] [--quiet] DB... DEST
The password comes from $ZRM_CONF (the backup set), never from the command line.`,
  'socket-server': `
Installed as /usr/share/mysql-zrm/plugins/socket-server.palomino.pl, started by xinetd or
mysql-zrm-innobackupex.socket with the connection on standard input and output.`,
};
