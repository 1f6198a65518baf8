/** The few log calls messaging makes; Nest's Logger and the console both satisfy it. */
export interface MessagingLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}
