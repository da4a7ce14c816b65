/** The status room: `webhook-connect status` reads the admin API and prints a table. */
export { getAdminJson, StatusError } from "./admin-client.js";
export { type ChannelLine, renderChannelTable } from "./table.js";
