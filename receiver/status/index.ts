export { getAdminJson, StatusError } from "./admin-client.js";
export { type ChannelLine, renderChannelTable } from "./table.js";
