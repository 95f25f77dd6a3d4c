/** Default pattern of media segment URLs (tested against the URL's path, query excluded). */
export const DEFAULT_SEGMENT_PATTERN = '\\.(ts|m4s|mp4|m4v|m4a|aac|cmfv|cmfa)$';
