/** One valid provider message (POST /api/v1/messages `message`) of each type, media served from `mediaUrl`. */
export const sampleMessages = (mediaUrl: string): Record<string, Record<string, unknown>> => ({
  text: { type: 'text', text: 'hello' },
  picture: { type: 'picture', media: mediaUrl, file_name: '1.jpg', file_size: 100 },
  video: { type: 'video', media: mediaUrl, file_name: 'v.mp4', file_size: 200, media_duration: 5 },
  file: { type: 'file', media: mediaUrl, file_name: 'doc.pdf', file_size: 300 },
  voice: { type: 'voice', media: mediaUrl, media_duration: 2 },
  audio: { type: 'audio', media: mediaUrl },
  sticker: { type: 'sticker', media: mediaUrl },
  location: { type: 'location', location: { lon: 37.62, lat: 55.75 } },
  contact: { type: 'contact', contact: { name: 'Ann', phone: '+79990001122' } },
});
