/** The agent stories, for tests and the distributed smoke test (`dist/tools/demo/index.js`). */
export { type LeaverStoryResult, runLeaverStory } from './leaver-story';
export { type MoverStoryResult, runMoverStory } from './mover-story';
export {
  type ContextUrls,
  type RevocationFollowing,
  type StepRecord,
  StoryError,
  type StoryOptions,
} from './story';
