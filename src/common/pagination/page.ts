/** One page of a list: the items in it, how many match in all, and the window asked for (`?limit=&offset=`). */
export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}
