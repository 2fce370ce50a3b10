/** Injectable time source: libraries take `now` instead of reading the wall clock. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
