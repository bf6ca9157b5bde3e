import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../../auth/authenticated.decorator.js';
import { ErrorBody } from '../../common/errors/error-body.js';
import { CreateModelTypeRequest, ModelTypeResponse, toModelTypeResponse } from './dto/model-type.dto.js';
import { ModelTypesService } from './model-types.service.js';

@ApiTags('models')
@Controller('models')
export class ModelsController {
  constructor(private readonly modelTypes: ModelTypesService) {}

  @Post()
  @Authenticated('admin')
  @ApiOperation({ summary: 'Create a model type', description: 'A model type (e.g. `safety_classifier`) groups the versions of one model. Its name is a slug.' })
  @ApiCreatedResponse({ type: ModelTypeResponse })
  @ApiBadRequestResponse({ type: ErrorBody, description: 'VALIDATION_FAILED: the name is not a slug, a field is missing or unknown' })
  @ApiConflictResponse({ type: ErrorBody, description: 'DUPLICATE_MODEL_TYPE: a model type with this name exists' })
  async create(@Body() body: CreateModelTypeRequest): Promise<ModelTypeResponse> {
    return toModelTypeResponse(await this.modelTypes.createModelType(body));
  }

  @Get()
  @Authenticated('admin', 'service', 'user')
  @ApiOperation({ summary: 'List model types, each with its production version', description: 'Every registered model type, by name; `production_version` is null until a version is promoted.' })
  @ApiOkResponse({ type: [ModelTypeResponse] })
  async list(): Promise<ModelTypeResponse[]> {
    return (await this.modelTypes.listModelTypes()).map(toModelTypeResponse);
  }

  @Get(':model_type')
  @Authenticated('admin', 'service', 'user')
  @ApiOperation({ summary: 'Read a model type and its production version', description: 'The type, its labels and its production version (null until one is promoted); an unknown name is 404 MODEL_TYPE_NOT_FOUND.' })
  @ApiParam({ name: 'model_type', example: 'safety_classifier' })
  @ApiOkResponse({ type: ModelTypeResponse })
  @ApiNotFoundResponse({ type: ErrorBody, description: 'MODEL_TYPE_NOT_FOUND' })
  async get(@Param('model_type') modelType: string): Promise<ModelTypeResponse> {
    return toModelTypeResponse(await this.modelTypes.getModelType(modelType));
  }
}
