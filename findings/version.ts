/** pipewarden's version, written into every findings document and tool driver (kept in step with package.json by a test). */
export const VERSION = '0.1.0';
