// What to tell the user when something fails, from the client's error codes.

/**
 * A sentence for a failed sign-in, naming what went wrong and what to do.
 * @param {{code?: string, message?: string}} error
 */
export function signInMessage(error) {
  const detail = error?.message ? ` (${error.message})` : "";
  switch (error?.code) {
    case "AUTH_FAILED":
      return "Wrong username or password. Check them and try again.";
    case "TLS_FAILED":
      return `A secure connection to the mail server could not be made: its certificate was not accepted${detail}. Ask your administrator.`;
    case "BRIDGE_REFUSED":
      return `The webmail service refused the connection${detail}.`;
    case "TIMEOUT":
      return `The mail server did not answer in time${detail}. Try again in a moment.`;
    case "CONNECTION_LOST":
      return `The mail server could not be reached${detail}. Check the server name, or try again later.`;
    case "INVALID_ARGUMENT":
      return error.message || "Check the sign-in details.";
    default:
      return `Sign-in failed${detail}.`;
  }
}

/**
 * A sentence for a failed action ("Moving 3 messages failed: ...").
 * @param {string} what e.g. "Moving the messages"
 * @param {{code?: string, message?: string}} error
 */
export function actionMessage(what, error) {
  if (error?.code === "CONNECTION_LOST") return `${what} failed: the connection was lost. Check the folder once reconnected and try again if needed.`;
  if (error?.code === "NO_SUCH_MAILBOX") return `${what} failed: that folder no longer exists.`;
  return `${what} failed${error?.message ? `: ${error.message}` : "."}`;
}
