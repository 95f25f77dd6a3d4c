/** Longest URL swarmfetch keys a segment by; longer URLs are not shared. */
export const MAX_KEY_LENGTH = 2048;
