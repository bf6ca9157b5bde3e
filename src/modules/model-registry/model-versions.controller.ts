import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Authenticated } from '../../auth/authenticated.decorator.js';
import { CurrentUser } from '../../auth/current-user.decorator.js';
import type { AuthUser } from '../../auth/roles.js';
import { ErrorBody } from '../../common/errors/error-body.js';
import { ARTIFACT_STORE, type ArtifactStore } from './artifact-store.js';
import {
  ListVersionsQuery,
  ModelVersionPageResponse,
  ModelVersionResponse,
  PromoteVersionRequest,
  RegisterVersionForm,
  StageChangeResponse,
  toModelVersionPageResponse,
  toModelVersionResponse,
  toStageChangeResponse,
} from './dto/model-version.dto.js';
import { ModelStagesService } from './model-stages.service.js';
import { ModelTypesService } from './model-types.service.js';
import { ModelVersionsService } from './model-versions.service.js';
import { readVersionUpload } from './version-upload.js';
import { ModelRegistryConfig } from './model-registry.config.js';

const MODEL_TYPE_PARAM = { name: 'model_type', example: 'safety_classifier' };
const VERSION_PARAM = { name: 'version', example: 'v2.0.0', description: 'With or without the leading v' };

@ApiTags('models')
@Controller('models/:model_type/versions')
export class ModelVersionsController {
  constructor(
    private readonly modelTypes: ModelTypesService,
    private readonly modelVersions: ModelVersionsService,
    private readonly stages: ModelStagesService,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    @Inject(ModelRegistryConfig.token) private readonly config: ModelRegistryConfig,
  ) {}

  @Post()
  @Authenticated('admin')
  @ApiOperation({
    summary: 'Register a model version (upload its artifact)',
    description:
      'multipart/form-data with the file part `file` and the fields `version`, `format`, `metadata`, `stage`. ' +
      'The file is streamed to the content-addressed artifact store while its sha256 is computed, then loaded with its metadata; ' +
      'nothing is kept when any check fails. CLI: `npm run deploy-model -- --type safety_classifier --model-path models/safety_classifier_v2.onnx --version v2.0.0`.',
  })
  @ApiParam(MODEL_TYPE_PARAM)
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: RegisterVersionForm })
  @ApiCreatedResponse({ type: ModelVersionResponse })
  @ApiBadRequestResponse({ type: ErrorBody, description: 'INVALID_VERSION, UNSUPPORTED_FORMAT, INVALID_METADATA, INVALID_STAGE, or VALIDATION_FAILED (not multipart, no file, unknown field)' })
  @ApiNotFoundResponse({ type: ErrorBody, description: 'MODEL_TYPE_NOT_FOUND' })
  @ApiConflictResponse({ type: ErrorBody, description: 'DUPLICATE_MODEL_VERSION: versions are immutable' })
  @ApiPayloadTooLargeResponse({ type: ErrorBody, description: 'PAYLOAD_TOO_LARGE: the artifact exceeds MAX_UPLOAD_BYTES' })
  @ApiUnprocessableEntityResponse({ type: ErrorBody, description: 'INVALID_ARTIFACT: not a loadable ONNX model, or its graph disagrees with the metadata' })
  async register(@Param('model_type') modelType: string, @Req() request: FastifyRequest, @CurrentUser() user: AuthUser): Promise<ModelVersionResponse> {
    // An unknown model type is refused before a possibly large body is read.
    await this.modelTypes.requireModelType(modelType);
    const upload = await readVersionUpload(request, this.store, this.config.maxUploadBytes);
    return toModelVersionResponse(await this.modelVersions.registerVersion(modelType, upload.fields, upload.artifact, user.sub));
  }

  @Get()
  @Authenticated('admin', 'service', 'user')
  @ApiOperation({ summary: 'List the versions of a model type, newest first', description: 'Paginated `{items, total, limit, offset}`; `stage` filters.' })
  @ApiParam(MODEL_TYPE_PARAM)
  @ApiOkResponse({ type: ModelVersionPageResponse })
  @ApiBadRequestResponse({ type: ErrorBody, description: 'VALIDATION_FAILED: bad stage, limit or offset' })
  @ApiNotFoundResponse({ type: ErrorBody, description: 'MODEL_TYPE_NOT_FOUND' })
  async list(@Param('model_type') modelType: string, @Query() query: ListVersionsQuery): Promise<ModelVersionPageResponse> {
    return toModelVersionPageResponse(await this.modelVersions.listVersions(modelType, { stage: query.stage, limit: query.limit, offset: query.offset }));
  }

  @Get(':version')
  @Authenticated('admin', 'service', 'user')
  @ApiOperation({ summary: 'Read a model version', description: 'sha256, size, format, metadata and stage. `2.0.0` and `v2.0.0` name the same version.' })
  @ApiParam(MODEL_TYPE_PARAM)
  @ApiParam(VERSION_PARAM)
  @ApiOkResponse({ type: ModelVersionResponse })
  @ApiNotFoundResponse({ type: ErrorBody, description: 'MODEL_TYPE_NOT_FOUND or MODEL_VERSION_NOT_FOUND' })
  async get(@Param('model_type') modelType: string, @Param('version') version: string): Promise<ModelVersionResponse> {
    return toModelVersionResponse(await this.modelVersions.getVersion(modelType, version));
  }

  @Get(':version/artifact')
  @Authenticated('admin', 'service')
  @ApiOperation({
    summary: 'Download the artifact of a model version',
    description: 'The bytes as registered; `x-artifact-sha256` carries their sha256. A stored file that no longer matches it is never served whole.',
  })
  @ApiParam(MODEL_TYPE_PARAM)
  @ApiParam(VERSION_PARAM)
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({
    description: 'The artifact bytes',
    schema: { type: 'string', format: 'binary' },
    headers: {
      'x-artifact-sha256': { description: 'Hex sha256 of the bytes (verified while streaming)', schema: { type: 'string', pattern: '^[0-9a-f]{64}$' } },
      'content-length': { description: 'Size of the artifact in bytes', schema: { type: 'integer' } },
    },
  })
  @ApiNotFoundResponse({ type: ErrorBody, description: 'MODEL_TYPE_NOT_FOUND or MODEL_VERSION_NOT_FOUND' })
  @ApiServiceUnavailableResponse({ type: ErrorBody, description: 'MODEL_UNAVAILABLE: the stored artifact is missing or corrupt' })
  async download(
    @Param('model_type') modelType: string,
    @Param('version') version: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StreamableFile> {
    const artifact = await this.modelVersions.openArtifact(modelType, version);
    const sha256 = artifact.version.sha256;
    reply.header('x-artifact-sha256', sha256);
    reply.header('repr-digest', `sha-256=:${Buffer.from(sha256, 'hex').toString('base64')}:`);
    reply.header('etag', `"sha256-${sha256}"`);
    reply.header('cache-control', 'private, max-age=31536000, immutable');
    return new StreamableFile(artifact.stream, {
      type: 'application/octet-stream',
      length: artifact.sizeBytes,
      disposition: `attachment; filename="${modelType}_${artifact.version.version}.${artifact.version.format}"`,
    });
  }

  @Post(':version/promote')
  @HttpCode(200)
  @Authenticated('admin')
  @ApiOperation({
    summary: 'Move a model version to a stage',
    description:
      'One transaction: promoting to production moves the current production version to archived; every change is recorded with the caller as actor. ' +
      'Moving a version to the stage it has changes nothing.',
  })
  @ApiParam(MODEL_TYPE_PARAM)
  @ApiParam(VERSION_PARAM)
  @ApiOkResponse({ type: ModelVersionResponse, description: 'The version in its new stage' })
  @ApiBadRequestResponse({ type: ErrorBody, description: 'VALIDATION_FAILED: unknown stage' })
  @ApiNotFoundResponse({ type: ErrorBody, description: 'MODEL_TYPE_NOT_FOUND or MODEL_VERSION_NOT_FOUND' })
  async promote(
    @Param('model_type') modelType: string,
    @Param('version') version: string,
    @Body() body: PromoteVersionRequest,
    @CurrentUser() user: AuthUser,
  ): Promise<ModelVersionResponse> {
    return toModelVersionResponse(await this.stages.promoteVersion({ modelType, version, stage: body.stage, actor: user.sub, reason: body.reason ?? null }));
  }

  @Get(':version/stage-changes')
  @Authenticated('admin', 'service', 'user')
  @ApiOperation({ summary: 'The stage history of a model version, oldest first', description: 'Every stage change: who (the token’s `sub`), when, from and to, and the reason given.' })
  @ApiParam(MODEL_TYPE_PARAM)
  @ApiParam(VERSION_PARAM)
  @ApiOkResponse({ type: [StageChangeResponse] })
  @ApiNotFoundResponse({ type: ErrorBody, description: 'MODEL_TYPE_NOT_FOUND or MODEL_VERSION_NOT_FOUND' })
  async stageChanges(@Param('model_type') modelType: string, @Param('version') version: string): Promise<StageChangeResponse[]> {
    return (await this.stages.listStageChanges(modelType, version)).map(toStageChangeResponse);
  }
}
