export const BOT_RATE_HZ = 16000;
export const OPUS_COMPLEXITY = 5;
