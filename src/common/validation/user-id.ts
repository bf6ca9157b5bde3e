/**
 * Longest user id the API takes wherever a request names an end user (`user_id` of assignments,
 * safety checks, messages and metric events; INVALID_USER_ID says 1 to 255): the user id columns
 * are varchar(255).
 */
export const MAX_USER_ID_LENGTH = 255;
